package org.stapfarm.security;

import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.stapfarm.security.ServerIdentityStore.CERTIFICATE_FILE;
import static org.stapfarm.security.ServerIdentityStore.KEY_FILE;
import static org.stapfarm.security.ServerIdentityStore.LOCK_FILE;

class ServerIdentityStoreTest {

    private static final String HOST = "build1.example.com";
    private static final List<String> EXTRA_NAMES = List.of("farm.example.com", "build1.local");

    /** Where {@link #created} was generated, as {@code .../home/.systemtap/ssl/server}. */
    @TempDir
    static Path shared;
    private static Path templateDir;
    private static ServerIdentityStore.Result created;

    @TempDir
    Path tmp;

    /** Generates the one identity most tests copy, through the store, so that this is the creation test too. */
    @BeforeAll
    static void createTemplate() throws IdentityStoreException {
        templateDir = shared.resolve("home/.systemtap/ssl/server");
        created = store(templateDir).loadOrCreate();
    }

    private static ServerIdentityStore store(Path dir) {
        return ServerIdentityStore.in(dir).withKeySize(2048).withHostName(HOST).withExtraDnsNames(EXTRA_NAMES);
    }

    /** A copy of the template identity in a fresh directory of this test, with the modes the store writes. */
    private Path installTemplate() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("server"), PosixFilePermissions.asFileAttribute(FilePermissions.OWNER_ONLY_DIRECTORY));
        Files.copy(templateDir.resolve(CERTIFICATE_FILE), dir.resolve(CERTIFICATE_FILE));
        Files.copy(templateDir.resolve(KEY_FILE), dir.resolve(KEY_FILE));
        Files.setPosixFilePermissions(dir.resolve(CERTIFICATE_FILE), FilePermissions.PUBLIC_FILE);
        Files.setPosixFilePermissions(dir.resolve(KEY_FILE), FilePermissions.OWNER_ONLY_FILE);
        return dir;
    }

    private static String mode(Path path) throws IOException {
        return FilePermissions.octal(Files.getPosixFilePermissions(path));
    }

    private static String pem(String type, byte[] der) throws IOException {
        StringWriter text = new StringWriter();
        try (PemWriter writer = new PemWriter(text)) {
            writer.writeObject(new PemObject(type, der));
        }
        return text.toString();
    }

    /** Asserts the store refuses {@code dir} with exactly {@code message} and leaves the files untouched. */
    private static void assertRefused(Path dir, String message) throws IOException {
        Map<String, String> before = snapshot(dir);
        IdentityStoreException e = assertThrows(IdentityStoreException.class, () -> store(dir).loadOrCreate());
        assertEquals(message, e.getMessage());
        assertEquals(before, snapshot(dir));
    }

    /** Name to content of the files in {@code dir}, except the lock file which the store may create. */
    private static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path file : list.toList()) {
                String name = file.getFileName().toString();
                if (!name.equals(LOCK_FILE)) {
                    files.put(name, Files.isSymbolicLink(file) ? "-> " + Files.readSymbolicLink(file)
                            : Base64.getEncoder().encodeToString(Files.readAllBytes(file)));
                }
            }
        }
        return files;
    }

    // --- creation -------------------------------------------------------------------------------------

    @Test
    void createsTheDirectoryOwnerOnlyAndTheFilesWithUpstreamsModes() throws IOException {
        assertEquals(ServerIdentityStore.Origin.CREATED, created.origin());
        assertTrue(created.origin().isNew());
        for (Path dir = templateDir; !dir.equals(shared); dir = dir.getParent()) {
            assertEquals("0700", mode(dir), dir.toString());
        }
        assertEquals("0644", mode(templateDir.resolve(CERTIFICATE_FILE)));
        assertEquals("0600", mode(templateDir.resolve(KEY_FILE)));
        assertEquals("0600", mode(templateDir.resolve(LOCK_FILE)));
        try (Stream<Path> files = Files.list(templateDir)) {
            // No temporary files are left behind.
            assertEquals(Set.of(CERTIFICATE_FILE, KEY_FILE, LOCK_FILE),
                    files.map(f -> f.getFileName().toString()).collect(Collectors.toSet()));
        }
    }

    @Test
    void writesTheCertificateAsDerAndTheKeyAsPkcs8Pem() throws Exception {
        ServerIdentity identity = created.identity();
        assertArrayEquals(Certificates.encode(identity.certificate()), Files.readAllBytes(templateDir.resolve(CERTIFICATE_FILE)));
        String key = Files.readString(templateDir.resolve(KEY_FILE), StandardCharsets.US_ASCII);
        assertEquals(pem("PRIVATE KEY", identity.privateKey().getEncoded()), key);
        assertEquals(List.of(HOST, "build1.local", "farm.example.com"),
                identity.certificate().getSubjectAlternativeNames().stream().map(n -> n.get(1)).toList());
        assertEquals(List.of(), ServerIdentity.compatibilityProblems(identity.certificate()));
    }

    @Test
    void opensslReadsBothFiles() throws Exception {
        assumeTrue(Command.available("openssl"), "openssl is not installed");
        Path cert = templateDir.resolve(CERTIFICATE_FILE);
        Path key = templateDir.resolve(KEY_FILE);
        Command text = Command.run("openssl", "x509", "-inform", "DER", "-in", cert.toString(), "-noout", "-text");
        assertEquals(0, text.exitCode(), text.output());
        for (String expected : List.of(
                "Version: 3 (0x2)",
                "Signature Algorithm: sha256WithRSAEncryption",
                "Issuer: OU = Systemtap, CN = Systemtap Compile Server",
                "Subject: OU = Systemtap, CN = Systemtap Compile Server",
                "Public-Key: (2048 bit)",
                "Exponent: 65537 (0x10001)",
                "DNS:build1.example.com, DNS:build1.local, DNS:farm.example.com")) {
            assertTrue(text.output().contains(expected), expected + " missing in\n" + text.output());
        }
        Command serial = Command.run("openssl", "x509", "-inform", "DER", "-in", cert.toString(), "-noout", "-serial");
        String hex = created.identity().certinfo().substring(3).replace(":", "").toUpperCase();
        assertEquals("serial=" + hex, serial.output().strip());

        Command pkey = Command.run("openssl", "pkey", "-in", key.toString(), "-noout");
        assertEquals(0, pkey.exitCode(), pkey.output());
        Command keyPublic = Command.run("openssl", "pkey", "-in", key.toString(), "-pubout");
        Command certPublic = Command.run("openssl", "x509", "-inform", "DER", "-in", cert.toString(), "-noout", "-pubkey");
        assertEquals(certPublic.output(), keyPublic.output());
    }

    @Test
    void defaultsAreRsa4096AndTheKernelHostName() throws Exception {
        ServerIdentityStore store = ServerIdentityStore.in(tmp.resolve("server"));
        String host = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        String label = host.contains(".") ? host.substring(0, host.indexOf('.')) : host;
        assertEquals(Stream.of(host, label + ".local").distinct().toList(), store.dnsNames());

        ServerIdentity identity = store.loadOrCreate().identity();
        assertEquals(4096, ((RSAPublicKey) identity.certificate().getPublicKey()).getModulus().bitLength());
        assertEquals(host, identity.certificate().getSubjectAlternativeNames().iterator().next().get(1));
    }

    @Test
    void dnsNamesAreHostThenMdnsNameThenExtrasWithoutDuplicates() {
        assertEquals(List.of(HOST, "build1.local", "farm.example.com"), store(tmp).dnsNames());
        assertEquals(List.of("vm", "vm.local"), ServerIdentityStore.in(tmp).withHostName("vm").dnsNames());
    }

    @Test
    void badSettingsFailAtOnce() {
        ServerIdentityStore store = ServerIdentityStore.in(tmp);
        assertThrows(IllegalArgumentException.class, () -> store.withKeySize(1024));
        assertThrows(IllegalArgumentException.class, () -> store.withValidity(Duration.ofDays(-1)));
        assertThrows(NullPointerException.class, () -> store.withHostName(null));
    }

    @Test
    void concurrentCallsAgreeOnOneIdentity() throws Exception {
        Path dir = tmp.resolve("server");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<ServerIdentityStore.Result>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(() -> store(dir).loadOrCreate()));
            }
            Set<String> certinfos = new HashSet<>();
            int createdCount = 0;
            for (Future<ServerIdentityStore.Result> result : results) {
                certinfos.add(result.get().identity().certinfo());
                createdCount += result.get().origin() == ServerIdentityStore.Origin.CREATED ? 1 : 0;
            }
            assertEquals(1, certinfos.size());
            assertEquals(1, createdCount);
        } finally {
            pool.shutdownNow();
        }
    }

    // --- loading and renewal --------------------------------------------------------------------------

    @Test
    void reloadingReturnsTheSameIdentity() throws Exception {
        Path dir = installTemplate();
        ServerIdentityStore.Result loaded = store(dir).loadOrCreate();
        assertEquals(ServerIdentityStore.Origin.LOADED, loaded.origin());
        assertFalse(loaded.origin().isNew());
        assertEquals(created.identity().certinfo(), loaded.identity().certinfo());
        assertArrayEquals(created.identity().privateKey().getEncoded(), loaded.identity().privateKey().getEncoded());
        assertArrayEquals(Files.readAllBytes(templateDir.resolve(CERTIFICATE_FILE)), Files.readAllBytes(dir.resolve(CERTIFICATE_FILE)));
    }

    @Test
    void acceptsAPkcs1KeyAsOpensslTraditionalWritesIt() throws Exception {
        assumeTrue(Command.available("openssl"), "openssl is not installed");
        Path dir = installTemplate();
        Path traditional = tmp.resolve("rsa.pem");
        Command convert = Command.run("openssl", "rsa", "-in", dir.resolve(KEY_FILE).toString(), "-traditional",
                "-out", traditional.toString());
        assertEquals(0, convert.exitCode(), convert.output());
        assertTrue(Files.readString(traditional).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
        Files.write(dir.resolve(KEY_FILE), Files.readAllBytes(traditional));

        ServerIdentityStore.Result loaded = store(dir).loadOrCreate();
        assertEquals(ServerIdentityStore.Origin.LOADED, loaded.origin());
        assertEquals(created.identity().certinfo(), loaded.identity().certinfo());
    }

    @Test
    void aSymlinkedDirectoryIsUsedThroughItsTarget() throws Exception {
        Path dir = installTemplate();
        Path link = Files.createSymbolicLink(tmp.resolve("link"), dir);
        assertEquals(ServerIdentityStore.Origin.LOADED, store(link).loadOrCreate().origin());
    }

    @Test
    void anExpiredCertificateIsReplacedByANewKeyAndSerial() throws Exception {
        Path dir = tmp.resolve("server");
        Instant longAgo = Instant.now().minus(Duration.ofDays(400));
        ServerIdentity old = store(dir).withClock(Clock.fixed(longAgo, ZoneOffset.UTC)).loadOrCreate().identity();
        assertTrue(old.expiresBefore(Instant.now()));

        ServerIdentityStore.Result renewed = store(dir).loadOrCreate();
        assertEquals(ServerIdentityStore.Origin.RENEWED, renewed.origin());
        assertTrue(renewed.origin().isNew());
        assertNotEquals(old.certinfo(), renewed.identity().certinfo());
        assertFalse(Arrays.equals(old.privateKey().getEncoded(), renewed.identity().privateKey().getEncoded()));
        assertTrue(renewed.identity().isValidAt(Instant.now()));
        assertEquals("0644", mode(dir.resolve(CERTIFICATE_FILE)));
        assertEquals("0600", mode(dir.resolve(KEY_FILE)));

        ServerIdentityStore.Result reloaded = store(dir).loadOrCreate();
        assertEquals(ServerIdentityStore.Origin.LOADED, reloaded.origin());
        assertEquals(renewed.identity().certinfo(), reloaded.identity().certinfo());
    }

    @Test
    void aNotYetValidCertificateIsReplacedToo() throws Exception {
        Path dir = installTemplate();
        Clock yesterday = Clock.fixed(Instant.now().minus(Duration.ofDays(1)), ZoneOffset.UTC);
        ServerIdentityStore.Result renewed = store(dir).withClock(yesterday).loadOrCreate();
        assertEquals(ServerIdentityStore.Origin.RENEWED, renewed.origin());
        assertNotEquals(created.identity().certinfo(), renewed.identity().certinfo());
    }

    @Test
    void aKeyWithoutCertificateIsLeftOverFromAnInterruptedCreationAndReplaced() throws Exception {
        Path dir = installTemplate();
        Files.delete(dir.resolve(CERTIFICATE_FILE));
        ServerIdentityStore.Result result = store(dir).loadOrCreate();
        assertEquals(ServerIdentityStore.Origin.CREATED, result.origin());
        assertNotEquals(created.identity().certinfo(), result.identity().certinfo());
        assertEquals(ServerIdentityStore.Origin.LOADED, store(dir).loadOrCreate().origin());
    }

    // --- refusals -------------------------------------------------------------------------------------

    @Test
    void refusesAGroupWritableDirectory() throws Exception {
        Path dir = installTemplate();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwx---"));
        assertRefused(dir, dir + " is writable by group or others (mode 0770): chmod go-w it");
    }

    @Test
    void refusesAWorldWritableCertificate() throws Exception {
        Path dir = installTemplate();
        Files.setPosixFilePermissions(dir.resolve(CERTIFICATE_FILE), PosixFilePermissions.fromString("rw-rw-rw-"));
        assertRefused(dir, dir.resolve(CERTIFICATE_FILE) + " is writable by group or others (mode 0666): chmod go-w it");
    }

    @Test
    void refusesAKeyReadableByGroup() throws Exception {
        Path dir = installTemplate();
        Files.setPosixFilePermissions(dir.resolve(KEY_FILE), PosixFilePermissions.fromString("rw-r-----"));
        assertRefused(dir, dir.resolve(KEY_FILE)
                + " is accessible by group or others (mode 0640); it holds a private key: chmod 600 it");
    }

    @Test
    void refusesAndKeepsAReferenceServerDatabase() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("server"));
        Files.write(dir.resolve(CERTIFICATE_FILE), TestCertificates.referenceDer());
        Files.createFile(dir.resolve("cert9.db"));
        Files.createFile(dir.resolve("key4.db"));
        assertRefused(dir, dir + " holds stap.cert but no stap.key: it looks like a certificate database of the"
                + " reference stap-serverd (NSS cert9.db/key4.db), which stapfarm cannot use and will not overwrite;"
                + " use another directory with --ssl DIR");
        assertFalse(Files.exists(dir.resolve(KEY_FILE)));
    }

    @Test
    void refusesASymlinkedKey() throws Exception {
        Path dir = installTemplate();
        Path elsewhere = Files.move(dir.resolve(KEY_FILE), tmp.resolve("elsewhere.key"));
        Files.createSymbolicLink(dir.resolve(KEY_FILE), elsewhere);
        assertRefused(dir, dir.resolve(KEY_FILE) + " is a symbolic link; refusing to use it");
    }

    @Test
    void refusesADirectoryOfAnotherUser() throws Exception {
        assumeTrue(FilePermissions.currentUid() == 0, "only root can give a directory away");
        Path dir = installTemplate();
        Files.setAttribute(dir, "unix:uid", 65534);
        IdentityStoreException e = assertThrows(IdentityStoreException.class, () -> store(dir).loadOrCreate());
        assertTrue(e.getMessage().matches("\\Q" + dir + "\\E is owned by \\S+ \\(uid 65534\\), not by the current user \\(uid 0\\)"),
                e.getMessage());
    }

    @Test
    void refusesAKeyOfAnotherCertificate() throws Exception {
        Path dir = installTemplate();
        Files.writeString(dir.resolve(KEY_FILE), pem("PRIVATE KEY", TestCertificates.otherIdentity().privateKey().getEncoded()));
        assertRefused(dir, dir.resolve(KEY_FILE) + " does not fit " + dir.resolve(CERTIFICATE_FILE)
                + ": the private key does not belong to the certificate");
    }

    @Test
    void refusesAKeyThatIsNoPemKey() throws Exception {
        Path dir = installTemplate();
        Files.writeString(dir.resolve(KEY_FILE), pem("CERTIFICATE", Files.readAllBytes(dir.resolve(CERTIFICATE_FILE))));
        assertRefused(dir, dir.resolve(KEY_FILE) + " holds no unencrypted PEM private key (expected -----BEGIN PRIVATE KEY-----)");
    }

    @Test
    void refusesACertificateThatIsNoCertificate() throws Exception {
        Path dir = installTemplate();
        Files.writeString(dir.resolve(CERTIFICATE_FILE), "not a certificate");
        IdentityStoreException e = assertThrows(IdentityStoreException.class, () -> store(dir).loadOrCreate());
        assertTrue(e.getMessage().startsWith(dir.resolve(CERTIFICATE_FILE) + " is not a readable X.509 certificate: "),
                e.getMessage());
    }

    @Test
    void refusesAFileWhereTheDirectoryShouldBe() throws Exception {
        Path file = Files.createFile(tmp.resolve("server"));
        IdentityStoreException e = assertThrows(IdentityStoreException.class, () -> store(file).loadOrCreate());
        assertEquals(file + " is not a directory", e.getMessage());
    }

    @Test
    void reportsADirectoryThatCannotBeCreated() throws Exception {
        Path file = Files.createFile(tmp.resolve("file"));
        Path dir = file.resolve("server");
        IdentityStoreException e = assertThrows(IdentityStoreException.class, () -> store(dir).loadOrCreate());
        assertEquals("Cannot use the server certificate directory " + dir + ": " + dir + ": Not a directory", e.getMessage());
    }

    @Test
    void reportsADanglingLinkWhereTheDirectoryShouldBe() throws Exception {
        Path dir = Files.createSymbolicLink(tmp.resolve("server"), tmp.resolve("nowhere"));
        IdentityStoreException e = assertThrows(IdentityStoreException.class, () -> store(dir).loadOrCreate());
        assertEquals("Cannot use the server certificate directory " + dir + ": " + dir + ": exists and is not a directory",
                e.getMessage());
    }
}
