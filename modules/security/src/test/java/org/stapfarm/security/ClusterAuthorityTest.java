package org.stapfarm.security;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SignatureException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterAuthorityTest {

    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private static final List<String> HOSTS = List.of("node1.example.com", "127.0.0.1", "::1", "node1");

    private static ClusterAuthority authority;
    private static ClusterAuthority otherAuthority;
    private static NodeIdentity node;

    @TempDir
    Path tmp;

    @BeforeAll
    static void createAuthorities() {
        authority = ClusterAuthority.create("lab", Duration.ofDays(30), NOW);
        otherAuthority = ClusterAuthority.create("lab", Duration.ofDays(30), NOW);
        node = authority.issue(HOSTS, Duration.ofDays(7), NOW);
    }

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    @Test
    void theCaCertificateIsASelfSignedCaForNodeCertificatesOnly() throws GeneralSecurityException {
        X509Certificate ca = authority.certificate();
        assertEquals("CN=lab,O=stapfarm cluster CA", ca.getSubjectX500Principal().getName());
        assertEquals(ca.getSubjectX500Principal(), ca.getIssuerX500Principal());
        ca.verify(ca.getPublicKey());
        assertEquals("EC", ca.getPublicKey().getAlgorithm());
        assertEquals("SHA256withECDSA", ca.getSigAlgName());
        assertEquals(0, ca.getBasicConstraints(), "CA:TRUE, path length 0");
        assertTrue(ca.getCriticalExtensionOIDs().containsAll(Set.of("2.5.29.19", "2.5.29.15")));
        boolean[] keyUsage = Arrays.copyOf(ca.getKeyUsage(), 9);
        // digitalSignature, nonRepudiation, keyEncipherment, dataEncipherment, keyAgreement, keyCertSign, cRLSign, ...
        assertArrayEquals(new boolean[] {false, false, false, false, false, true, true, false, false}, keyUsage);
        assertEquals(NOW.minus(Duration.ofMinutes(5)), ca.getNotBefore().toInstant());
        assertEquals(NOW.plus(Duration.ofDays(30)), ca.getNotAfter().toInstant());
    }

    @Test
    void aNodeCertificateNamesItsHostsAndServesBothEndsOfMutualTls() throws Exception {
        X509Certificate certificate = node.certificate();
        assertEquals("CN=node1.example.com,O=stapfarm node", certificate.getSubjectX500Principal().getName());
        assertEquals(authority.certificate().getSubjectX500Principal(), certificate.getIssuerX500Principal());
        assertEquals(List.of("DNS:node1.example.com", "IP:127.0.0.1", "IP:0:0:0:0:0:0:0:1", "DNS:node1"),
                node.subjectAltNames());
        assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), certificate.getExtendedKeyUsage());
        boolean[] keyUsage = Arrays.copyOf(certificate.getKeyUsage(), 9);
        assertArrayEquals(new boolean[] {true, false, false, false, true, false, false, false, false}, keyUsage);
        assertEquals(-1, certificate.getBasicConstraints());
        assertEquals("EC", certificate.getPublicKey().getAlgorithm());
        assertEquals("SHA256withECDSA", certificate.getSigAlgName());
        assertEquals(authority.certificate(), node.authority());
        assertEquals(NOW.plus(Duration.ofDays(7)), certificate.getNotAfter().toInstant());
    }

    @Test
    void theAuthorityKeyIdentifierIsTheCasSubjectKeyIdentifier() {
        byte[] caKeyId = authority.certificate().getExtensionValue("2.5.29.14");
        byte[] authorityKeyId = node.certificate().getExtensionValue("2.5.29.35");
        // SKI: OCTET STRING { OCTET STRING (20) }; AKI: OCTET STRING { SEQUENCE { [0] (20) } }: the last 20 octets.
        assertArrayEquals(Arrays.copyOfRange(caKeyId, caKeyId.length - 20, caKeyId.length),
                Arrays.copyOfRange(authorityKeyId, authorityKeyId.length - 20, authorityKeyId.length));
        assertTrue(node.certificate().getExtensionValue("2.5.29.14") != null);
    }

    @Test
    void aNodeCertificateChainsToItsCaAndNotToAnother() throws Exception {
        node.certificate().verify(authority.certificate().getPublicKey());
        assertThrows(SignatureException.class,
                () -> node.certificate().verify(otherAuthority.certificate().getPublicKey()));
        validate(node.certificate(), authority.certificate());
        assertThrows(CertPathValidatorException.class,
                () -> validate(node.certificate(), otherAuthority.certificate()));
    }

    /** Full PKIX path validation as JSSE's trust manager does it, revocation aside (there is none). */
    private static void validate(X509Certificate certificate, X509Certificate trusted) throws Exception {
        PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(trusted, null)));
        parameters.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(
                CertificateFactory.getInstance("X.509").generateCertPath(List.of(certificate)), parameters);
    }

    @Test
    void aNodeCertificateEndsWithItsCa() {
        NodeIdentity longLived = authority.issue(List.of("node2"), Duration.ofDays(3650), NOW);
        assertEquals(authority.certificate().getNotAfter(), longLived.certificate().getNotAfter());
    }

    @Test
    void unusableRequestsAreRefusedBeforeAnythingIsMade() {
        IllegalArgumentException badHost = assertThrows(IllegalArgumentException.class,
                () -> authority.issue(List.of("node1", "bad host"), Duration.ofDays(1), NOW));
        assertEquals("'bad host' is neither an IP address nor a host name", badHost.getMessage());
        for (String host : List.of("", "-node", "node-", "a..b", "[::1]", "node.example.com.", "x".repeat(64))) {
            assertThrows(IllegalArgumentException.class, () -> authority.issue(List.of(host), Duration.ofDays(1), NOW),
                    host);
        }
        assertThrows(IllegalArgumentException.class, () -> authority.issue(List.of(), Duration.ofDays(1), NOW));
        assertThrows(IllegalArgumentException.class, () -> authority.issue(HOSTS, Duration.ZERO, NOW));
        IllegalArgumentException expired = assertThrows(IllegalArgumentException.class,
                () -> authority.issue(HOSTS, Duration.ofDays(1), NOW.plus(Duration.ofDays(31))));
        assertTrue(expired.getMessage().startsWith("the cluster CA is valid only from "), expired.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ClusterAuthority.create(" ", Duration.ofDays(1), NOW));
        assertThrows(IllegalArgumentException.class, () -> ClusterAuthority.create("x", Duration.ofDays(-1), NOW));
    }

    @Test
    void aSavedCaLoadsAsItWas() throws Exception {
        Path dir = tmp.resolve("admin/cluster-ca");
        authority.saveTo(dir);
        assertEquals("rwx------", mode(dir));
        assertEquals("rw-------", mode(dir.resolve(ClusterAuthority.KEY_STORE)));
        assertEquals("rw-------", mode(dir.resolve(ClusterAuthority.PASSWORD_FILE)));
        assertEquals("rw-r--r--", mode(dir.resolve(ClusterAuthority.CERTIFICATE_FILE)));
        assertEquals(List.of(authority.certificate()),
                Certificates.decodeAll(Files.readAllBytes(dir.resolve(ClusterAuthority.CERTIFICATE_FILE))));
        assertTrue(Files.readString(dir.resolve(ClusterAuthority.PASSWORD_FILE)).matches("[0-9a-f]{48}\n"));
        try (var files = Files.list(dir)) {
            assertEquals(3, files.count(), "no temporary files are left");
        }

        ClusterAuthority loaded = ClusterAuthority.load(dir);
        assertEquals(authority.certificate(), loaded.certificate());
        loaded.issue(List.of("node3"), Duration.ofDays(1), Instant.now()).certificate()
                .verify(authority.certificate().getPublicKey());
    }

    @Test
    void anExistingCaIsNeverReplaced() throws Exception {
        Path dir = tmp.resolve("ca");
        authority.saveTo(dir);
        byte[] before = Files.readAllBytes(dir.resolve(ClusterAuthority.KEY_STORE));
        ClusterCredentialsException e = assertThrows(ClusterCredentialsException.class,
                () -> otherAuthority.saveTo(dir));
        assertTrue(e.getMessage().contains("already holds a cluster CA; refusing to replace it"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(dir.resolve(ClusterAuthority.KEY_STORE)));

        Path partial = Files.createDirectory(tmp.resolve("partial"));
        Files.writeString(partial.resolve(ClusterAuthority.PASSWORD_FILE), "x\n");
        assertThrows(ClusterCredentialsException.class, () -> otherAuthority.saveTo(partial));
        assertFalse(Files.exists(partial.resolve(ClusterAuthority.KEY_STORE)));
    }

    @Test
    void loadExplainsWhatIsWrong() throws Exception {
        ClusterCredentialsException missing = assertThrows(ClusterCredentialsException.class,
                () -> ClusterAuthority.load(tmp.resolve("nothing")));
        assertTrue(missing.getMessage().startsWith("there is no cluster CA directory "), missing.getMessage());

        Path empty = Files.createDirectory(tmp.resolve("empty"));
        ClusterCredentialsException notCa = assertThrows(ClusterCredentialsException.class,
                () -> ClusterAuthority.load(empty));
        assertTrue(notCa.getMessage().endsWith("is no cluster CA directory: it needs both ca.p12 and password"
                + " (stapfarm-cluster create-ca makes them)"), notCa.getMessage());

        Path dir = tmp.resolve("ca");
        authority.saveTo(dir);
        Files.setPosixFilePermissions(dir.resolve(ClusterAuthority.KEY_STORE),
                PosixFilePermissions.fromString("rw-r-----"));
        ClusterCredentialsException open = assertThrows(ClusterCredentialsException.class,
                () -> ClusterAuthority.load(dir));
        assertTrue(open.getMessage().contains("is accessible by group or others (mode 0640)"), open.getMessage());

        Files.setPosixFilePermissions(dir.resolve(ClusterAuthority.KEY_STORE), FilePermissions.OWNER_ONLY_FILE);
        Files.writeString(dir.resolve(ClusterAuthority.PASSWORD_FILE), "wrong\n");
        ClusterCredentialsException password = assertThrows(ClusterCredentialsException.class,
                () -> ClusterAuthority.load(dir));
        assertEquals(dir.toRealPath().resolve(ClusterAuthority.KEY_STORE)
                + " does not open with the password beside it (are the files from different sets?)",
                password.getMessage());
    }
}
