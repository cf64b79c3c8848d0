package org.stapfarm.security;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.Security;
import java.security.cert.Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stapfarm.security.ClusterCredentials.KEY_STORE;
import static org.stapfarm.security.ClusterCredentials.PASSWORD_FILE;
import static org.stapfarm.security.ClusterCredentials.TRUST_STORE;

class ClusterCredentialsTest {

    private static ClusterAuthority authority;
    private static NodeIdentity node;
    private static NodeIdentity otherNode;

    @TempDir
    Path tmp;

    @BeforeAll
    static void issue() {
        Instant now = Instant.now();
        authority = ClusterAuthority.create("lab", Duration.ofDays(30), now);
        node = authority.issue(List.of("node1.example.com", "127.0.0.1"), Duration.ofDays(7), now);
        otherNode = ClusterAuthority.create("elsewhere", Duration.ofDays(30), now)
                .issue(List.of("node1.example.com"), Duration.ofDays(7), now);
    }

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    private static KeyStore loadWithTheJdk(Path file, String password) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password.toCharArray());
            return store;
        }
    }

    private ClusterCredentialsException refused(Path dir) {
        return assertThrows(ClusterCredentialsException.class, () -> ClusterCredentials.find(dir));
    }

    @Test
    void noDirectoryAndAnEmptyOneHoldNoCredentials() throws Exception {
        assertEquals(Optional.empty(), ClusterCredentials.find(tmp.resolve("missing")));
        assertEquals(Optional.empty(), ClusterCredentials.find(Files.createDirectory(tmp.resolve("empty"))));
    }

    @Test
    void writtenCredentialsAreFoundAndLoadWithTheJdksOwnPkcs12() throws Exception {
        Path dir = tmp.resolve("home/.systemtap/stapfarm/cluster");
        ClusterCredentials written = ClusterCredentials.write(dir, node);
        assertEquals("rwx------", mode(dir));
        for (String file : List.of(KEY_STORE, TRUST_STORE, PASSWORD_FILE)) {
            assertEquals("rw-------", mode(dir.resolve(file)), file);
        }
        try (var files = Files.list(dir)) {
            assertEquals(3, files.count(), "no temporary files are left");
        }
        assertEquals(written.password() + "\n", Files.readString(dir.resolve(PASSWORD_FILE)));

        ClusterCredentials found = ClusterCredentials.find(dir).orElseThrow();
        assertEquals(written, found);
        assertEquals(dir.resolve(KEY_STORE), found.keyStore());
        assertEquals(dir.resolve(TRUST_STORE), found.trustStore());
        assertFalse(found.toString().contains(found.password()));

        KeyStore keys = loadWithTheJdk(found.keyStore(), found.password());
        assertEquals("SUN", keys.getProvider().getName());
        assertEquals(List.of("node"), Collections.list(keys.aliases()));
        assertEquals(node.privateKey(), keys.getKey("node", found.password().toCharArray()));
        assertArrayEquals(new Certificate[] {node.certificate(), authority.certificate()},
                keys.getCertificateChain("node"));
        KeyStore trust = loadWithTheJdk(found.trustStore(), found.password());
        assertEquals(List.of("ca"), Collections.list(trust.aliases()));
        assertTrue(trust.isCertificateEntry("ca"));
        assertEquals(authority.certificate(), trust.getCertificate("ca"));
        assertNull(Security.getProvider("BC"), "Bouncy Castle is never registered as a provider");

        NodeIdentity read = found.read();
        assertEquals(node.certificate(), read.certificate());
        assertEquals(authority.certificate(), read.authority());
    }

    @Test
    void writingAgainReplacesTheSetWithANewPassword() throws Exception {
        Path dir = tmp.resolve("cluster");
        ClusterCredentials first = ClusterCredentials.write(dir, node);
        ClusterCredentials second = ClusterCredentials.write(dir, otherNode);
        assertNotEquals(first.password(), second.password());
        assertEquals(otherNode.authority(), ClusterCredentials.find(dir).orElseThrow().read().authority());
    }

    @Test
    void anIncompleteSetIsRefused() throws Exception {
        Path dir = tmp.resolve("cluster");
        ClusterCredentials.write(dir, node);
        Files.delete(dir.resolve(TRUST_STORE));
        assertEquals(dir.toRealPath() + " holds incomplete cluster credentials: trust.p12 missing; issue them again"
                + " (stapfarm-cluster issue --force) or copy the whole directory", refused(dir).getMessage());
        Files.delete(dir.resolve(KEY_STORE));
        assertTrue(refused(dir).getMessage().contains(": node.p12, trust.p12 missing;"));
    }

    @Test
    void filesOthersCanAccessAndAnOpenDirectoryAreRefused() throws Exception {
        Path dir = tmp.resolve("cluster");
        ClusterCredentials.write(dir, node);
        for (String file : List.of(PASSWORD_FILE, KEY_STORE, TRUST_STORE)) {
            Files.setPosixFilePermissions(dir.resolve(file), PosixFilePermissions.fromString("rw----r--"));
            assertEquals(dir.resolve(file) + " is accessible by group or others (mode 0604); it holds a private key:"
                    + " chmod 600 it", refused(dir).getMessage());
            Files.setPosixFilePermissions(dir.resolve(file), FilePermissions.OWNER_ONLY_FILE);
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwx---"));
        assertTrue(refused(dir).getMessage().endsWith("is writable by group or others (mode 0770): chmod go-w it"));
    }

    @Test
    void aLinkInsteadOfAFileIsRefused() throws Exception {
        Path dir = tmp.resolve("cluster");
        ClusterCredentials.write(dir, node);
        Path elsewhere = Files.move(dir.resolve(KEY_STORE), tmp.resolve("node.p12"));
        Files.createSymbolicLink(dir.resolve(KEY_STORE), elsewhere);
        assertEquals(dir.resolve(KEY_STORE) + " is a symbolic link; refusing to use it", refused(dir).getMessage());
    }

    @Test
    void aPasswordOfAnotherSetOrADamagedStoreIsReportedAsSuch() throws Exception {
        Path dir = tmp.resolve("cluster");
        ClusterCredentials.write(dir, node);
        Path other = tmp.resolve("other");
        ClusterCredentials.write(other, node);
        Files.copy(other.resolve(PASSWORD_FILE), dir.resolve(PASSWORD_FILE), StandardCopyOption.REPLACE_EXISTING);
        assertEquals(dir.resolve(KEY_STORE) + " does not open with the password beside it (are the files from different"
                + " sets?)", refused(dir).getMessage());

        Files.writeString(dir.resolve(PASSWORD_FILE), "\n");
        assertTrue(refused(dir).getMessage().endsWith("password is empty; it should hold the password of the key"
                + " stores beside it"));

        ClusterCredentials.write(dir, node);
        Files.write(dir.resolve(KEY_STORE), new byte[] {0x30, 0x03, 0x02, 0x01, 0x03});
        assertTrue(refused(dir).getMessage()
                .startsWith(dir.resolve(KEY_STORE) + " is not a readable PKCS#12 key store: "));
    }

    @Test
    void aNodeCertificateOfAnotherCaThanTheTrustedOneIsRefused() throws Exception {
        Path dir = tmp.resolve("cluster");
        ClusterCredentials credentials = ClusterCredentials.write(dir, otherNode);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", authority.certificate());
        try (OutputStream out = Files.newOutputStream(dir.resolve(TRUST_STORE))) {
            trust.store(out, credentials.password().toCharArray());
        }
        assertEquals("the node certificate in " + dir.resolve(KEY_STORE) + " was not issued by the CA in "
                + dir.resolve(TRUST_STORE) + " (CN=lab,O=stapfarm cluster CA)", refused(dir).getMessage());
    }

    @Test
    void aNodeIdentityIsOfOneCa() {
        assertThrows(IllegalArgumentException.class,
                () -> new NodeIdentity(otherNode.privateKey(), otherNode.certificate(), authority.certificate()));
    }

    @Test
    void aKeyOfAnotherCertificateIsRefused() throws Exception {
        Path dir = tmp.resolve("cluster");
        ClusterCredentials.write(dir,
                new NodeIdentity(otherNode.privateKey(), node.certificate(), authority.certificate()));
        assertEquals("the key 'node' in " + dir.resolve(KEY_STORE)
                + " is not an EC key that belongs to its certificate", refused(dir).getMessage());
    }

    @Test
    void anExpiredCertificateIsRefusedButCanBeRead() throws Exception {
        Instant past = Instant.now().minus(Duration.ofDays(20));
        ClusterAuthority old = ClusterAuthority.create("old", Duration.ofDays(30), past);
        Path dir = tmp.resolve("cluster");
        ClusterCredentials written = ClusterCredentials.write(dir,
                old.issue(List.of("node1"), Duration.ofDays(1), past));
        assertTrue(refused(dir).getMessage().matches("the node certificate in .*node.p12 expired on \\S+;"
                + " issue a new one \\(stapfarm-cluster issue --force\\)"), refused(dir).getMessage());
        assertEquals(old.certificate(), written.read().authority());
    }

    @Test
    void aPrivateSetHasACaOfItsOwn() throws Exception {
        Path dir = tmp.resolve("private");
        ClusterCredentials first = ClusterCredentials.createPrivate(dir, List.of("127.0.0.1", "localhost"));
        assertEquals(Optional.of(first), ClusterCredentials.find(dir));
        NodeIdentity identity = first.read();
        assertEquals(List.of("IP:127.0.0.1", "DNS:localhost"), identity.subjectAltNames());
        assertEquals("CN=private CA of 127.0.0.1 localhost,O=stapfarm private CA",
                identity.authority().getSubjectX500Principal().getName());
        assertTrue(identity.isPrivate());
        assertFalse(node.isPrivate());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(KEY_STORE, PASSWORD_FILE, TRUST_STORE),
                    files.map(file -> file.getFileName().toString()).sorted().toList(), "the CA's key is not written");
        }

        ClusterCredentials second = ClusterCredentials.createPrivate(dir, List.of("127.0.0.1"));
        assertNotEquals(identity.authority(), second.read().authority(), "every private set has a CA of its own");
        assertThrows(IllegalArgumentException.class, () -> ClusterCredentials.createPrivate(tmp.resolve("bad"),
                List.of("not a host")));
        assertFalse(Files.exists(tmp.resolve("bad")), "nothing is written for a bad host name");
    }

    @Test
    void aCaDirectoryIsNeverWrittenInto() throws Exception {
        Path dir = tmp.resolve("ca");
        authority.saveTo(dir);
        byte[] password = Files.readAllBytes(dir.resolve(PASSWORD_FILE));
        assertThrows(IllegalArgumentException.class, () -> ClusterCredentials.write(dir, node));
        assertArrayEquals(password, Files.readAllBytes(dir.resolve(PASSWORD_FILE)));
        assertFalse(Files.exists(dir.resolve(KEY_STORE)));
    }

    @Test
    void anyFileInTellsWhetherSomethingWouldBeReplaced() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("cluster"));
        assertFalse(ClusterCredentials.anyFileIn(dir));
        Files.writeString(dir.resolve(PASSWORD_FILE), "x\n");
        assertTrue(ClusterCredentials.anyFileIn(dir));
    }
}
