package org.stapfarm.security;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.security.auth.x500.X500Principal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ServerIdentityTest {

    private static final String SUBJECT_ALT_NAME = "2.5.29.17";

    @TempDir
    Path tmp;

    private final ServerIdentity identity = TestCertificates.identity();
    private final X509Certificate certificate = identity.certificate();

    @Test
    void subjectIsByteForByteTheReferenceServersSubject() throws Exception {
        byte[] reference = TestCertificates.reference().getSubjectX500Principal().getEncoded();
        assertArrayEquals(reference, ServerIdentity.SUBJECT.getEncoded());
        assertArrayEquals(reference, certificate.getSubjectX500Principal().getEncoded());
        // RDN OU first, then CN; both PrintableString (tag 13), not UTF8String (0c).
        HexFormat hex = HexFormat.of();
        String expected = "3037"
                + "3112" + "3010" + "060355040b" + "1309" + hex.formatHex("Systemtap".getBytes(StandardCharsets.US_ASCII))
                + "3121" + "301f" + "0603550403" + "1318" + hex.formatHex("Systemtap Compile Server".getBytes(StandardCharsets.US_ASCII));
        assertEquals(expected, hex.formatHex(reference));
    }

    @Test
    void subjectIsWhatKeytoolMakesOfTheDnameInTheSpec() throws Exception {
        assumeTrue(Command.available("keytool"), "keytool is not installed");
        Path keystore = tmp.resolve("ks.p12");
        Path exported = tmp.resolve("keytool.der");
        // EC keeps keytool fast; the key type does not affect the subject's encoding.
        Command generated = Command.run("keytool", "-genkeypair", "-alias", "x", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=Systemtap Compile Server, OU=Systemtap", "-ext", "san=ip:127.0.0.1",
                "-keystore", keystore.toString(), "-storepass", "changeit", "-validity", "1");
        assertEquals(0, generated.exitCode(), generated.output());
        Command export = Command.run("keytool", "-exportcert", "-alias", "x", "-keystore", keystore.toString(),
                "-storepass", "changeit", "-file", exported.toString());
        assertEquals(0, export.exitCode(), export.output());
        X509Certificate keytool = Certificates.decode(Files.readAllBytes(exported));

        assertArrayEquals(keytool.getSubjectX500Principal().getEncoded(), certificate.getSubjectX500Principal().getEncoded());
        // And the same certificate shows what compatibilityProblems reports: everything but the subject is off.
        List<String> problems = ServerIdentity.compatibilityProblems(keytool);
        assertTrue(problems.stream().anyMatch(p -> p.contains("serial")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.contains("first subjectAltName is not a DNS name")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.contains("not RSA")), problems.toString());
        assertFalse(problems.stream().anyMatch(p -> p.contains("subject is not")), problems.toString());
    }

    @Test
    void isSelfSigned() throws Exception {
        assertArrayEquals(certificate.getSubjectX500Principal().getEncoded(), certificate.getIssuerX500Principal().getEncoded());
        certificate.verify(certificate.getPublicKey());
    }

    @Test
    void serialHasFiveContentOctetsWithALeadingZero() {
        byte[] serial = certificate.getSerialNumber().toByteArray();
        assertEquals(5, serial.length);
        assertEquals(0, serial[0]);
        assertTrue((serial[1] & 0x80) != 0);
        assertTrue(identity.certinfo().matches("00(:[0-9a-f]{2}){4}"), identity.certinfo());
        assertEquals(Certificates.certinfo(certificate), identity.certinfo());
    }

    @Test
    void serialsDiffer() {
        assertFalse(identity.certinfo().equals(TestCertificates.otherIdentity().certinfo()));
    }

    @Test
    void subjectAltNameIsNonCriticalAndListsTheDnsNamesInOrder() throws Exception {
        Collection<List<?>> altNames = certificate.getSubjectAlternativeNames();
        assertEquals(TestCertificates.DNS_NAMES, altNames.stream().map(n -> n.get(1)).toList());
        assertTrue(altNames.stream().allMatch(n -> n.get(0).equals(2)), "all dNSName");
        assertEquals(Set.of(SUBJECT_ALT_NAME), certificate.getNonCriticalExtensionOIDs());
        assertEquals(Set.of(), certificate.getCriticalExtensionOIDs());
    }

    @Test
    void isAVersion3Sha256WithRsaCertificateForAnRsaKey() {
        assertEquals(3, certificate.getVersion());
        assertEquals("SHA256withRSA", certificate.getSigAlgName());
        RSAPublicKey key = (RSAPublicKey) certificate.getPublicKey();
        assertEquals(2048, key.getModulus().bitLength());
        assertEquals(65537, key.getPublicExponent().intValueExact());
        assertEquals("RSA", identity.privateKey().getAlgorithm());
    }

    @Test
    void validityStartsFiveMinutesBackAndLastsTheRequestedTime() {
        Instant now = Instant.parse("2030-01-02T03:04:05.678Z");
        ServerIdentity dated = ServerIdentity.generate(List.of("dated"), 2048, Duration.ofDays(365), now);
        assertEquals(Instant.parse("2030-01-02T02:59:05Z"), dated.certificate().getNotBefore().toInstant());
        assertEquals(Instant.parse("2031-01-02T03:04:05Z"), dated.certificate().getNotAfter().toInstant());
    }

    @Test
    void defaultValidityIsAboutAYear() {
        Duration validity = Duration.between(certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant());
        assertEquals(Duration.ofDays(365).plusMinutes(5), validity.truncatedTo(ChronoUnit.MINUTES));
    }

    @Test
    void expiryChecks() {
        Instant notAfter = certificate.getNotAfter().toInstant();
        Instant notBefore = certificate.getNotBefore().toInstant();
        assertFalse(identity.expiresBefore(notAfter));
        assertTrue(identity.expiresBefore(notAfter.plusSeconds(1)));
        assertTrue(identity.isValidAt(Instant.now()));
        assertTrue(identity.isValidAt(notBefore));
        assertFalse(identity.isValidAt(notBefore.minusSeconds(1)));
        assertFalse(identity.isValidAt(notAfter.plusSeconds(1)));
    }

    @Test
    void generatedAndReferenceCertificatesHaveNoCompatibilityProblems() throws Exception {
        assertEquals(List.of(), ServerIdentity.compatibilityProblems(certificate));
        assertEquals(List.of(), ServerIdentity.compatibilityProblems(TestCertificates.reference()));
    }

    @Test
    void ofRequiresTheMatchingKey() {
        assertSame(certificate, ServerIdentity.of(certificate, identity.privateKey()).certificate());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerIdentity.of(certificate, TestCertificates.otherIdentity().privateKey()));
        assertEquals("the private key does not belong to the certificate", e.getMessage());
    }

    @Test
    void generateRejectsBadParameters() {
        Instant now = Instant.now();
        assertThrows(IllegalArgumentException.class, () -> ServerIdentity.generate(List.of(), 2048, Duration.ofDays(1), now));
        assertThrows(IllegalArgumentException.class, () -> ServerIdentity.generate(List.of("a"), 1024, Duration.ofDays(1), now));
        assertThrows(IllegalArgumentException.class, () -> ServerIdentity.generate(List.of("a"), 2048, Duration.ZERO, now));
    }

    @Test
    void serverParametersEnableTls13And12WithoutClientAuthentication() {
        var parameters = identity.serverSslParameters();
        assertEquals(List.of("TLSv1.3", "TLSv1.2"), Arrays.asList(parameters.getProtocols()));
        assertFalse(parameters.getNeedClientAuth());
        assertFalse(parameters.getWantClientAuth());
        assertEquals("TLS", identity.sslContext().getProtocol());
    }

    @Test
    void subjectIsWhatTheJdkMakesOfTheDnameInTheSpec() {
        // keytool builds its subject exactly like this, so this holds where keytool is not installed.
        assertArrayEquals(new X500Principal("CN=Systemtap Compile Server, OU=Systemtap").getEncoded(),
                ServerIdentity.SUBJECT.getEncoded());
    }

    @Test
    void toStringShowsCertinfoButNotTheKey() {
        String text = identity.toString();
        assertTrue(text.contains(identity.certinfo()), text);
        assertFalse(text.contains("modulus"), text);
    }
}
