package org.stapfarm.security;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class TrustDatabaseTest {

    private static ServerIdentity third;

    @TempDir
    Path tmp;

    private final X509Certificate first = TestCertificates.identity().certificate();
    private final X509Certificate second = TestCertificates.otherIdentity().certificate();

    @BeforeEach
    void needsCertutil() {
        assumeTrue(Command.available("certutil"), "certutil is not installed");
    }

    private static synchronized X509Certificate third() {
        if (third == null) {
            third = ServerIdentity.generate(List.of("third"), 2048, ServerIdentity.DEFAULT_VALIDITY, Instant.now());
        }
        return third.certificate();
    }

    private TrustDatabase database(Path directory) {
        return new TrustDatabase(directory, OptionalLong.of(FilePermissions.currentUid()), false);
    }

    @Test
    void aTrustedServerIsInBothFormats() throws Exception {
        Path directory = tmp.resolve("ssl/client");
        TrustDatabase database = database(directory);
        database.trust(first);

        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(directory)));
        assertEquals("rw-------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(directory.resolve(TrustDatabase.JAVA_STORE))));
        assertEquals(List.of(first), database.read().peers());
        NssDatabase nss = new NssDatabase(directory);
        assertTrue(nss.entries().stream().anyMatch(entry -> entry.trustedPeer() && entry.certificate().equals(first)));
        if (Command.available("keytool")) {
            Command listed = Command.run("keytool", "-list", "-storepass", "", "-keystore",
                    directory.resolve(TrustDatabase.JAVA_STORE).toString());
            assertTrue(listed.output().contains("stap-server-" + Certificates.sha1Fingerprint(first).replace(":", "")
                    + ","), listed.output());
        }
    }

    /** The stock tools change only the NSS files: what they did counts at once, and an import adopts it. */
    @Test
    void changesByTheStockToolsCountAtOnce() throws Exception {
        Path directory = tmp.resolve("client");
        TrustDatabase database = database(directory);
        database.trust(first);
        Path store = directory.resolve(TrustDatabase.JAVA_STORE);
        // As `stap --trust-servers` stores a server, a moment later.
        Files.setLastModifiedTime(store, FileTime.from(Instant.now().minus(Duration.ofSeconds(5))));
        new NssDatabase(directory).add(second, "stap-server", TrustDatabase.PEER_TRUST);

        assertEquals(Set.of(first, second), Set.copyOf(database.read().peers()));
        assertEquals(2, database.importFromNss());
        assertEquals(Set.of(first, second), Set.copyOf(database.read().peers()));
        assertFalse(Files.getLastModifiedTime(store).compareTo(Files.getLastModifiedTime(directory.resolve("cert9.db"))) < 0);
    }

    @Test
    void revokedServersAreGoneFromBoth() throws Exception {
        Path directory = tmp.resolve("client");
        TrustDatabase database = database(directory);
        database.trust(first);
        database.trust(second);

        assertTrue(database.revoke(first));
        assertEquals(List.of(second), database.read().peers());
        assertEquals(List.of(second), new NssDatabase(directory).entries().stream()
                .map(NssDatabase.Entry::certificate).toList());
        assertFalse(database.revoke(first));
    }

    /** Upstream stores every server as `stap-server`; NSS deletes by nickname, the others must survive. */
    @Test
    void revokingOneOfTheStockToolsServersKeepsTheOthers() throws Exception {
        Path directory = tmp.resolve("client");
        NssDatabase nss = new NssDatabase(directory);
        Files.createDirectories(directory);
        nss.create();
        for (X509Certificate certificate : List.of(first, second, third())) {
            nss.add(certificate, "stap-server", TrustDatabase.PEER_TRUST);
        }
        TrustDatabase database = database(directory);

        for (X509Certificate revoked : List.of(first, third(), second)) {
            assertTrue(database.revoke(revoked));
            assertFalse(database.read().peers().contains(revoked));
        }
        assertEquals(List.of(), nss.entries());
    }

    /**
     * SystemTap servers share upstream's nickname, where the stock client looks for them; a certificate with
     * another subject cannot join them (NSS refuses) and gets one of its own. All are trusted and revocable.
     */
    @Test
    void nicknamesFollowTheSubject() throws Exception {
        X509Certificate foreign = foreignCertificate();
        assertEquals("stap-server", TrustDatabase.nickname(first));
        assertEquals("stap-server-" + Certificates.sha1Fingerprint(foreign).replace(":", ""),
                TrustDatabase.nickname(foreign));
        Path directory = tmp.resolve("client");
        TrustDatabase database = database(directory);
        for (X509Certificate certificate : List.of(first, foreign, second)) {
            database.trust(certificate);
        }
        assertEquals(Set.of(first, second, foreign), Set.copyOf(database.read().peers()));
        Command listing = Command.run("certutil", "-L", "-d", "sql:" + directory);
        assertEquals(2, listing.output().lines().filter(line -> line.matches("stap-server +P,P,P")).count(),
                listing.output());

        assertTrue(database.revoke(foreign));
        assertTrue(database.revoke(first));
        assertEquals(List.of(second), database.read().peers());
    }

    private static X509Certificate foreignCertificate() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair keys = generator.generateKeyPair();
        X500Name name = new X500Name("CN=build.example.org");
        Instant now = Instant.now();
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name, BigInteger.TEN,
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(1))), name,
                keys.getPublic()).build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
    }

    @Test
    void aJavaStoreFromElsewhereIsExportedToNss() throws Exception {
        TrustDatabase source = database(tmp.resolve("source"));
        source.trust(first);
        source.trust(second);
        Path target = tmp.resolve("target");
        Files.createDirectories(target);
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
        Files.copy(tmp.resolve("source").resolve(TrustDatabase.JAVA_STORE), target.resolve(TrustDatabase.JAVA_STORE));

        assertEquals(2, database(target).exportToNss());
        assertEquals(Set.of(first, second), new NssDatabase(target).entries().stream()
                .map(NssDatabase.Entry::certificate).collect(Collectors.toSet()));
        assertEquals(0, database(target).exportToNss());
    }

    @Test
    void aDatabaseOthersCanChangeIsRefusedWithTheReason() throws Exception {
        Path directory = tmp.resolve("client");
        TrustDatabase database = database(directory);
        database.trust(first);
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxrwx---"));

        TrustDatabase.UnusableException refused = assertThrows(TrustDatabase.UnusableException.class,
                () -> database.trust(second));
        assertEquals("Certificate database '" + directory + "' is writable by group or others (mode 0770); refusing"
                + " to use it", refused.getMessage());
        assertThrows(TrustDatabase.UnusableException.class, database::read);
        assertThrows(TrustDatabase.UnusableException.class, () -> database.revoke(first));

        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(directory.resolve(TrustDatabase.JAVA_STORE), PosixFilePermissions.fromString("rw-rw-rw-"));
        assertTrue(assertThrows(TrustDatabase.UnusableException.class, database::read).getMessage()
                .contains("file " + TrustDatabase.JAVA_STORE + " is writable by group or others (mode 0666)"));
    }

    @Test
    void aSharedDatabaseIsReadableByEveryone() throws Exception {
        Path directory = tmp.resolve("etc/systemtap/ssl/client");
        new TrustDatabase(directory, OptionalLong.of(FilePermissions.currentUid()), true).trust(first);

        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(directory)));
        for (String file : List.of("cert9.db", "key4.db", TrustDatabase.JAVA_STORE)) {
            assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(directory.resolve(file))),
                    file);
        }
    }
}
