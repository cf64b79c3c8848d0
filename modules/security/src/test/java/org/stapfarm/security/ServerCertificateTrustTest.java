package org.stapfarm.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.security.cert.CertificateExpiredException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

class ServerCertificateTrustTest {

    private static final Clock NOW = Clock.systemUTC();

    @Test
    void aPinnedCertificateIsTrustedOverTls() throws Exception {
        ServerIdentity server = TestCertificates.identity();
        try (TlsTestServer tls = new TlsTestServer(server)) {
            ServerCertificateTrust trust = new ServerCertificateTrust(List.of(server.certificate()), List.of(), NOW);
            handshake(trust, tls.port());
            assertTrue(tls.nextOutcome().startsWith("TLSv1.3"));
            assertTrue(trust.refused().isEmpty());
        }
    }

    @Test
    void anotherCertificateIsRefusedAndRemembered() throws Exception {
        ServerIdentity server = TestCertificates.identity();
        try (TlsTestServer tls = new TlsTestServer(server)) {
            ServerCertificateTrust trust = new ServerCertificateTrust(
                    List.of(TestCertificates.otherIdentity().certificate()), List.of(), NOW);
            assertThrows(SSLHandshakeException.class, () -> handshake(trust, tls.port()));
            assertEquals(server.certificate(), trust.refused().orElseThrow());
        }
    }

    @Test
    void anExpiredPinnedCertificateIsRefused() throws Exception {
        X509Certificate certificate = TestCertificates.identity().certificate();
        Clock later = Clock.fixed(certificate.getNotAfter().toInstant().plus(Duration.ofDays(1)), ZoneOffset.UTC);
        ServerCertificateTrust trust = new ServerCertificateTrust(List.of(certificate), List.of(), later);

        assertThrows(CertificateExpiredException.class,
                () -> trust.checkServerTrusted(new X509Certificate[] {certificate}, "RSA"));
        assertEquals(certificate, trust.refused().orElseThrow());
    }

    /** A stored authority (NSS trust `C`) vouches for the servers it issued, self-signed ones for themselves. */
    @Test
    void anAuthorityVouchesForItself() throws Exception {
        X509Certificate authority = TestCertificates.otherIdentity().certificate();
        ServerCertificateTrust trust = new ServerCertificateTrust(List.of(), List.of(authority), NOW);

        trust.checkServerTrusted(new X509Certificate[] {authority}, "RSA");
        assertThrows(Exception.class, () -> trust.checkServerTrusted(
                new X509Certificate[] {TestCertificates.identity().certificate()}, "RSA"));
        assertTrue(Instant.now().isBefore(authority.getNotAfter().toInstant()));
    }

    private static void handshake(ServerCertificateTrust trust, int port) throws Exception {
        var context = trust.sslContext();
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSSLParameters(trust.clientSslParameters(context));
            socket.startHandshake();
        }
    }
}
