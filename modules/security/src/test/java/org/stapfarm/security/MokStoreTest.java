package org.stapfarm.security;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MokStoreTest {

    private static MachineOwnerKey other;

    @TempDir
    Path tmp;

    private static synchronized MachineOwnerKey other() {
        if (other == null) {
            other = MachineOwnerKey.generate(2048, Instant.now());
        }
        return other;
    }

    @Test
    void noDirectoryMeansNoKeys() {
        MokStore store = MokStore.in(tmp);
        assertEquals(List.of(), store.keys());
        assertEquals(Optional.empty(), store.firstMatching(List.of(MachineOwnerKeyTest.key().fingerprint())));
    }

    @Test
    void storedKeysAreReadBackInUpstreamsLayout() throws Exception {
        MokStore store = MokStore.in(tmp);
        MachineOwnerKey key = MachineOwnerKeyTest.key();
        store.store(key);

        Path directory = tmp.resolve("moks").resolve(key.fingerprint());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("moks"))));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(directory.resolve("signing_key.x509"))));
        assertEquals("rw-------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(directory.resolve("signing_key.priv"))));
        assertArrayEquals(Certificates.encode(key.certificate()), Files.readAllBytes(directory.resolve("signing_key.x509")));
        assertTrue(Files.readString(directory.resolve("signing_key.priv")).startsWith("-----BEGIN PRIVATE KEY-----"));

        List<MachineOwnerKey> keys = store.keys();
        assertEquals(1, keys.size());
        assertEquals(key.fingerprint(), keys.get(0).fingerprint());
        assertArrayEquals(key.signModule(new byte[] {1, 2, 3}), keys.get(0).signModule(new byte[] {1, 2, 3}));
    }

    @Test
    void theFirstClientFingerprintTheServerHasWins() throws Exception {
        MokStore store = MokStore.in(tmp);
        store.store(MachineOwnerKeyTest.key());
        store.store(other());
        String unknown = "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33";

        assertEquals(other().fingerprint(), store.firstMatching(List.of("missing", unknown, other().fingerprint(),
                MachineOwnerKeyTest.key().fingerprint())).orElseThrow().fingerprint());
        assertEquals(Optional.empty(), store.firstMatching(List.of("missing", unknown)));
        // Names that could climb out of the directory are never looked up.
        assertEquals(Optional.empty(), store.firstMatching(List.of("..", "../moks/" + other().fingerprint())));
    }

    @Test
    void keysThatDoNotCheckOutAreSkipped() throws Exception {
        MokStore store = MokStore.in(tmp);
        MachineOwnerKey key = MachineOwnerKeyTest.key();
        store.store(key);
        store.store(other());
        Path moks = tmp.resolve("moks");

        // A directory named after another key's fingerprint.
        Path misnamed = moks.resolve("00:11:22");
        Files.move(moks.resolve(other().fingerprint()), misnamed);
        assertEquals(List.of(key.fingerprint()), fingerprints(store));

        // A private key others can read.
        Path priv = moks.resolve(key.fingerprint()).resolve("signing_key.priv");
        Files.setPosixFilePermissions(priv, PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(List.of(), fingerprints(store));
        assertEquals(Optional.empty(), store.firstMatching(List.of(key.fingerprint())));
        Files.setPosixFilePermissions(priv, PosixFilePermissions.fromString("rw-------"));

        // A certificate without its key.
        Files.delete(priv);
        assertEquals(List.of(), fingerprints(store));

        // Files and names that are not fingerprints are ignored.
        Files.createDirectories(moks.resolve("NOT-A-FINGERPRINT"));
        Files.writeString(moks.resolve("x509.genkey"), "[ req ]\n");
        assertEquals(List.of(), fingerprints(store));
    }

    @Test
    void aGroupWritableDirectoryIsNotUsed() throws Exception {
        MokStore store = MokStore.in(tmp);
        store.store(MachineOwnerKeyTest.key());
        Files.setPosixFilePermissions(tmp.resolve("moks"), PosixFilePermissions.fromString("rwxrwx---"));
        assertEquals(List.of(), store.keys());
        assertEquals(Optional.empty(), store.firstMatching(List.of(MachineOwnerKeyTest.key().fingerprint())));
    }

    @Test
    void firstOrNewMakesAKeyOnlyWhenThereIsNone() throws Exception {
        MokStore store = MokStore.in(tmp).withKeySize(2048);
        MachineOwnerKey made = store.firstOrNew();
        assertEquals(List.of(made.fingerprint()), fingerprints(store));
        assertEquals(made.fingerprint(), store.firstOrNew().fingerprint());

        store.store(other());
        String first = fingerprints(store).get(0);
        assertEquals(first, store.firstOrNew().fingerprint());
    }

    private static List<String> fingerprints(MokStore store) {
        return store.keys().stream().map(MachineOwnerKey::fingerprint).toList();
    }
}
