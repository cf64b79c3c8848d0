package org.stapfarm.security;

import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The identity's TLS context, configured as a compile server configures it, against JSSE, OpenSSL, NSS
 * and the real SystemTap 4.8 client where those are installed.
 */
class TlsHandshakeTest {

    @TempDir
    Path tmp;

    private final ServerIdentity identity = TestCertificates.identity();
    private TlsTestServer server;

    @BeforeEach
    void startServer() throws IOException {
        server = new TlsTestServer(identity);
    }

    @AfterEach
    void stopServer() throws Exception {
        server.close();
    }

    /** A JSSE client that trusts exactly {@code trusted} (dependencies.md P13) and offers {@code protocols}. */
    private SSLSocket connect(X509Certificate trusted, String... protocols) throws Exception {
        KeyStore trustStore = KeyStore.getInstance("PKCS12");
        trustStore.load(null, null);
        trustStore.setCertificateEntry("stap-server", trusted);
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trustStore);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trustManagers.getTrustManagers(), null);
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", server.port());
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setProtocols(protocols);
        socket.setSSLParameters(parameters);
        socket.setSoTimeout(20_000);
        return socket;
    }

    @Test
    void aJsseClientTrustingTheCertificateNegotiatesTls13() throws Exception {
        try (SSLSocket socket = connect(identity.certificate(), "TLSv1.3", "TLSv1.2")) {
            socket.startHandshake();
            assertEquals("TLSv1.3", socket.getSession().getProtocol());
            assertEquals(identity.certificate(), socket.getSession().getPeerCertificates()[0]);
        }
        assertTrue(server.nextOutcome().startsWith("TLSv1.3 TLS_"));
    }

    @Test
    void aTls12OnlyClientIsServedToo() throws Exception {
        try (SSLSocket socket = connect(identity.certificate(), "TLSv1.2")) {
            socket.startHandshake();
            assertEquals("TLSv1.2", socket.getSession().getProtocol());
        }
        assertTrue(server.nextOutcome().startsWith("TLSv1.2 TLS_ECDHE_RSA_"));
    }

    @Test
    void aClientTrustingAnotherCertificateFails() throws Exception {
        try (SSLSocket socket = connect(TestCertificates.otherIdentity().certificate(), "TLSv1.3", "TLSv1.2")) {
            assertThrows(SSLHandshakeException.class, socket::startHandshake);
        }
        assertTrue(server.nextOutcome().startsWith("failed: "));
    }

    @Test
    void opensslSClientVerifiesTheCertificateOverTls13() throws Exception {
        assumeTrue(Command.available("openssl"), "openssl is not installed");
        Path caFile = tmp.resolve("stap-server.pem");
        try (Writer out = Files.newBufferedWriter(caFile, StandardCharsets.US_ASCII); PemWriter pem = new PemWriter(out)) {
            pem.writeObject(new PemObject("CERTIFICATE", Certificates.encode(identity.certificate())));
        }
        Command client = Command.run("openssl", "s_client", "-connect", "127.0.0.1:" + server.port(), "-tls1_3",
                "-CAfile", caFile.toString(), "-verify_return_error");
        assertEquals(0, client.exitCode(), client.output());
        assertTrue(client.output().contains("Verify return code: 0 (ok)"), client.output());
        assertTrue(server.nextOutcome().startsWith("TLSv1.3 "));
    }

    /** An NSS database like the client's {@code ~/.systemtap/ssl/client}, optionally trusting our certificate. */
    private Path nssDatabase(boolean trusting) throws Exception {
        Path db = Files.createDirectory(tmp.resolve("client"));
        Command create = Command.run("certutil", "-N", "-d", "sql:" + db, "--empty-password");
        assertEquals(0, create.exitCode(), create.output());
        if (trusting) {
            Path cert = tmp.resolve("stap.cert");
            Files.write(cert, Certificates.encode(identity.certificate()));
            // What stap-authorize-cert and the client's --trust-servers do (spec 6.4).
            Command add = Command.run("certutil", "-A", "-n", "stap-server", "-t", "P,P,P", "-i", cert.toString(), "-d", "sql:" + db);
            assertEquals(0, add.exitCode(), add.output());
        }
        return db;
    }

    @Test
    void nssTrustsTheCertificateAsAPinnedPeer() throws Exception {
        assumeTrue(Command.available("tstclnt") && Command.available("certutil"), "NSS tools are not installed");
        Path db = nssDatabase(true);
        Command client = Command.run("tstclnt", "-4", "-h", "localhost", "-p", String.valueOf(server.port()), "-d", "sql:" + db, "-Q");
        assertEquals(0, client.exitCode(), client.output());
        assertTrue(server.nextOutcome().startsWith("TLSv1.3 "));
    }

    @Test
    void nssRejectsTheCertificateUntilTrustedAsTheSpecDescribes() throws Exception {
        assumeTrue(Command.available("tstclnt") && Command.available("certutil"), "NSS tools are not installed");
        Path db = nssDatabase(false);
        Command client = Command.run("tstclnt", "-4", "-h", "localhost", "-p", String.valueOf(server.port()), "-d", "sql:" + db, "-Q");
        assertTrue(client.exitCode() != 0, client.output());
        // Spec 6.3: an untrusted self-signed certificate is SEC_ERROR_CA_CERT_INVALID, which is the error the
        // client's --trust-servers turns into trust on first use.
        assertTrue(client.output().contains("SEC_ERROR_CA_CERT_INVALID"), client.output());
        assertTrue(server.nextOutcome().startsWith("failed: "));
    }

    @Test
    void theSystemtapClientTrustsAndListsTheServer() throws Exception {
        assumeTrue(Command.available("stap") && Command.available("certutil"), "SystemTap or NSS tools are not installed");
        // SYSTEMTAP_DIR keeps the client's databases inside the test directory.
        Map<String, String> environment = Map.of("SYSTEMTAP_DIR", tmp.toString());
        Command trust = Command.run(environment, List.of("stap", "--trust-servers=ssl,no-prompt",
                "--use-server=127.0.0.1:" + server.port()));
        assertEquals(0, trust.exitCode(), trust.output());
        assertTrue(server.nextOutcome().startsWith("TLSv1.3 "));

        Command database = Command.run("certutil", "-L", "-d", "sql:" + tmp.resolve("ssl/client"));
        assertTrue(database.output().matches("(?s).*stap-server\\s+P,P,P.*"), database.output());

        Command list = Command.run(environment, List.of("stap", "--list-servers=trusted"));
        String expected = " host=" + TestCertificates.DNS_NAMES.get(0) + " address=offline port=unknown"
                + " sysinfo=\"unknown\" version=unknown certinfo=\"" + identity.certinfo() + "\"";
        assertTrue(list.output().lines().anyMatch(expected::equals), list.output());
    }
}
