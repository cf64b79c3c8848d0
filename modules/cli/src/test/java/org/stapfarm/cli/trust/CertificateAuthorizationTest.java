package org.stapfarm.cli.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.security.Certificates;
import org.stapfarm.security.NssDatabase;
import org.stapfarm.security.ServerIdentity;
import org.stapfarm.security.TrustDatabase;

class CertificateAuthorizationTest {

    @TempDir
    Path tmp;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(CertificateAuthorization.Tool tool, String... arguments) {
        return new CertificateAuthorization(tool, Map.of("SYSTEMTAP_DIR", tmp.resolve("systemtap").toString()),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Clock.systemUTC()).run(List.of(arguments));
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private Path certificateFile(X509Certificate certificate) throws IOException {
        Path file = Files.createTempFile(tmp, "stap", ".cert");
        Files.write(file, Certificates.encode(certificate));
        return file;
    }

    @Test
    void argumentErrorsUseUpstreamsMessages() throws IOException {
        assertEquals(1, run(CertificateAuthorization.Tool.AUTHORIZE_SERVER));
        assertEquals("Certificate file must be specified\n", stderr());
        err.reset();
        assertEquals(1, run(CertificateAuthorization.Tool.AUTHORIZE_SIGNER, tmp.resolve("missing.cert").toString()));
        assertEquals("Cannot find certificate file " + tmp.resolve("missing.cert") + "\n", stderr());
        err.reset();
        assertEquals(1, run(CertificateAuthorization.Tool.ADD_SERVER, Files.createFile(tmp.resolve("x.cert")).toString()));
        assertEquals("Certificate database directory must be specified\n", stderr());
        err.reset();
        assertEquals(1, run(CertificateAuthorization.Tool.AUTHORIZE_SERVER, "--remove", "x"));
        assertTrue(stderr().startsWith("stap-authorize-server-cert: unrecognized option '--remove'\n"
                + "Usage: stap-authorize-server-cert [--revoke] CERTFILE [DIRNAME]\n"
                + "       stap-authorize-server-cert --import|--export [DIRNAME]"), stderr());
        err.reset();
        assertEquals(1, run(CertificateAuthorization.Tool.AUTHORIZE_SERVER, "--import", "--export"));
        assertTrue(stderr().startsWith("stap-authorize-server-cert: only one of --revoke, --import and --export"),
                stderr());
    }

    @Test
    void somethingThatIsNoCertificateIsRefused() throws IOException {
        Path file = Files.writeString(tmp.resolve("junk.cert"), "not a certificate");
        assertEquals(1, run(CertificateAuthorization.Tool.AUTHORIZE_SERVER, file.toString(), tmp.resolve("db").toString()));
        assertTrue(stderr().startsWith("Certificate file " + file + " does not hold an X.509 certificate (DER or PEM)"),
                stderr());
        assertTrue(Files.notExists(tmp.resolve("db")), "nothing is created for a bad file");
    }

    @Test
    void anExpiredCertificateIsRefused() throws IOException {
        Instant past = Instant.now().minus(Duration.ofDays(30));
        ServerIdentity expired = ServerIdentity.generate(List.of("old"), 2048, Duration.ofDays(1), past);
        Path file = certificateFile(expired.certificate());
        assertEquals(1, run(CertificateAuthorization.Tool.AUTHORIZE_SERVER, file.toString(), tmp.resolve("db").toString()));
        assertTrue(stderr().startsWith("The certificate in " + file + " expired on "), stderr());
    }

    @Test
    void aFileWithTwoCertificatesIsRefused() throws IOException {
        String pem = pem(TestIdentities.first().certificate()) + pem(TestIdentities.second().certificate());
        Path file = Files.writeString(tmp.resolve("two.pem"), pem);
        assertEquals(1, run(CertificateAuthorization.Tool.AUTHORIZE_SERVER, file.toString(), tmp.resolve("db").toString()));
        assertTrue(stderr().contains("holds 2 certificates; it must hold exactly one"), stderr());
    }

    /** SystemTap servers are stored as upstream stores them, where the stock client looks for them. */
    @Test
    void systemtapServersAreStoredAsStapServer() {
        assertEquals("stap-server", TrustDatabase.nickname(TestIdentities.first().certificate()));
        assertEquals("stap-server", TrustDatabase.nickname(TestIdentities.second().certificate()));
    }

    @Test
    void twoServersWithTheSameSubjectAreBothTrusted() throws IOException {
        assumeTrue(TestIdentities.certutilAvailable(), "certutil is not installed");
        Path directory = tmp.resolve("nested/db");
        X509Certificate first = TestIdentities.first().certificate();
        X509Certificate second = TestIdentities.second().certificate();
        assertEquals(0, run(CertificateAuthorization.Tool.AUTHORIZE_SERVER, certificateFile(first).toString(),
                directory.toString()), stderr());
        // PEM is accepted as well as DER.
        Path pem = Files.writeString(tmp.resolve("second.pem"), pem(second));
        assertEquals(0, run(CertificateAuthorization.Tool.ADD_SERVER, pem.toString(), directory.toString()), stderr());
        assertEquals("", stderr());

        List<NssDatabase.Entry> entries = new NssDatabase(directory).entries();
        assertEquals(Set.of(first, second), entries.stream().map(NssDatabase.Entry::certificate).collect(Collectors.toSet()));
        assertTrue(entries.stream().allMatch(NssDatabase.Entry::trustedPeer));
        // A user's own database stays private: the directory 0700, certutil's files untouched (0600).
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(directory)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(directory.resolve("cert9.db"))));
        // Authorising again changes nothing and succeeds.
        assertEquals(0, run(CertificateAuthorization.Tool.AUTHORIZE_SERVER, certificateFile(first).toString(),
                directory.toString()), stderr());
        assertEquals(2, new NssDatabase(directory).entries().size());
    }

    @Test
    void aRevokedCertificateIsNoLongerTrusted() throws IOException {
        assumeTrue(TestIdentities.certutilAvailable(), "certutil is not installed");
        Path directory = tmp.resolve("db");
        Path first = certificateFile(TestIdentities.first().certificate());
        Path second = certificateFile(TestIdentities.second().certificate());
        assertEquals(0, run(CertificateAuthorization.Tool.AUTHORIZE_SERVER, first.toString(), directory.toString()));
        assertEquals(0, run(CertificateAuthorization.Tool.AUTHORIZE_SERVER, second.toString(), directory.toString()));

        assertEquals(0, run(CertificateAuthorization.Tool.AUTHORIZE_SERVER, "--revoke", first.toString(),
                directory.toString()), stderr());
        assertEquals(List.of(TestIdentities.second().certificate()), new NssDatabase(directory).entries().stream()
                .map(NssDatabase.Entry::certificate).toList());

        assertEquals(1, run(CertificateAuthorization.Tool.AUTHORIZE_SERVER, "--revoke", first.toString(),
                directory.toString()));
        assertEquals("The certificate in " + first + " is not in the certificate database " + directory + "\n", stderr());
    }

    /** Trust kept in the Java store travels to a new NSS database, and back. */
    @Test
    void trustIsExportedAndImported() throws IOException {
        assumeTrue(TestIdentities.certutilAvailable(), "certutil is not installed");
        Path directory = tmp.resolve("db");
        assertEquals(0, run(CertificateAuthorization.Tool.AUTHORIZE_SERVER,
                certificateFile(TestIdentities.first().certificate()).toString(), directory.toString()));
        Path copy = Files.createDirectory(tmp.resolve("copy"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Files.copy(directory.resolve(TrustDatabase.JAVA_STORE), copy.resolve(TrustDatabase.JAVA_STORE));

        assertEquals(0, run(CertificateAuthorization.Tool.ADD_SERVER, "--export", copy.toString()), stderr());
        assertEquals("1 certificates added to the NSS database " + copy + "\n", out.toString(StandardCharsets.UTF_8));
        assertEquals(List.of(TestIdentities.first().certificate()), new NssDatabase(copy).entries().stream()
                .map(NssDatabase.Entry::certificate).toList());
        out.reset();
        assertEquals(0, run(CertificateAuthorization.Tool.AUTHORIZE_SERVER, "--import", copy.toString()), stderr());
        assertEquals("1 certificates in " + copy.resolve(TrustDatabase.JAVA_STORE) + "\n",
                out.toString(StandardCharsets.UTF_8));
    }

    /** Item 40a: a database others can write decides nothing, and nothing is added to it. */
    @Test
    void aDatabaseOthersCanWriteIsRefused() throws IOException {
        assumeTrue(TestIdentities.certutilAvailable(), "certutil is not installed");
        Path directory = Files.createDirectory(tmp.resolve("db"));
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertEquals(1, run(CertificateAuthorization.Tool.AUTHORIZE_SERVER,
                certificateFile(TestIdentities.first().certificate()).toString(), directory.toString()));
        assertEquals("Certificate database '" + directory + "' is writable by group or others (mode 0777); refusing"
                + " to use it\n", stderr());
        assertTrue(Files.notExists(directory.resolve("cert9.db")));
    }

    @Test
    void theDefaultDatabaseOfAUserIsTheirClientDatabase() {
        Map<String, String> environment = Map.of("SYSTEMTAP_DIR", "/home/u/stap");
        assertEquals(Path.of("/etc/systemtap/staprun"),
                CertificateAuthorization.Tool.AUTHORIZE_SIGNER.defaultDirectory(environment));
        assertEquals(Path.of("/home/u/stap/ssl/client"), TrustLocations.userClient(environment));
        assertTrue(TrustLocations.isShared(Path.of("/etc/systemtap/ssl/../ssl/client")));
        assertTrue(!TrustLocations.isShared(Path.of("/home/u/stap/ssl/client")));
    }

    private static String pem(X509Certificate certificate) {
        return "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(Certificates.encode(certificate))
                + "\n-----END CERTIFICATE-----\n";
    }
}
