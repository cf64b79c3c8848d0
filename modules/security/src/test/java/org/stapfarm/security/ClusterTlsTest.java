package org.stapfarm.security;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two nodes' credentials in a TLS handshake configured as Artery's ConfigSSLEngineProvider configures it
 * (dependencies.md P11): TLS 1.3, each side presenting its node.p12 and trusting its trust.p12, the server
 * requiring a client certificate, the client checking the server's address against its certificate.
 */
class ClusterTlsTest {

    private static final String LOOPBACK = "127.0.0.1";

    @TempDir
    static Path tmp;

    private static ClusterCredentials first;
    private static ClusterCredentials second;
    private static SSLContext firstContext;
    private static SSLContext secondContext;
    private static SSLContext strangerContext;
    private static SSLContext misnamedContext;
    /** Presents a certificate of another CA, but trusts the cluster's. */
    private static SSLContext impostorContext;

    @BeforeAll
    static void issue() throws Exception {
        Instant now = Instant.now();
        ClusterAuthority authority = ClusterAuthority.create("lab", Duration.ofDays(1), now);
        first = ClusterCredentials.write(tmp.resolve("first"),
                authority.issue(List.of(LOOPBACK), Duration.ofDays(1), now));
        second = ClusterCredentials.write(tmp.resolve("second"),
                authority.issue(List.of("localhost", LOOPBACK), Duration.ofDays(1), now));
        ClusterCredentials misnamed = ClusterCredentials.write(tmp.resolve("misnamed"),
                authority.issue(List.of("elsewhere.example"), Duration.ofDays(1), now));
        ClusterCredentials stranger = ClusterCredentials.createPrivate(tmp.resolve("stranger"), List.of(LOOPBACK));
        firstContext = context(first, first);
        secondContext = context(second, second);
        strangerContext = context(stranger, stranger);
        misnamedContext = context(misnamed, misnamed);
        impostorContext = context(stranger, first);
    }

    /** What each side saw: null where its handshake (and the server's first byte, for the client) succeeded. */
    private record Outcome(Exception server, Exception client, Certificate clientAsSeenByServer) {
    }

    private static KeyStore store(Path file, String password) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password.toCharArray());
            return store;
        }
    }

    /** Presents the key of {@code presenting} and trusts what {@code trusting} trusts. */
    private static SSLContext context(ClusterCredentials presenting, ClusterCredentials trusting) throws Exception {
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store(presenting.keyStore(), presenting.password()), presenting.password().toCharArray());
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store(trusting.trustStore(), trusting.password()));
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        return context;
    }

    /**
     * One connection from {@code client} to {@code server}. In TLS 1.3 the client finishes its handshake before
     * the server has judged the client's certificate, so the server sends a byte once it has, and the client
     * counts as connected only when that byte arrives.
     */
    private static Outcome connect(SSLContext serverContext, SSLContext clientContext) throws Exception {
        try (SSLServerSocket listener = (SSLServerSocket) serverContext.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
            SSLParameters serverParameters = serverContext.getDefaultSSLParameters();
            serverParameters.setProtocols(new String[] {"TLSv1.3"});
            serverParameters.setNeedClientAuth(true);
            listener.setSSLParameters(serverParameters);
            CompletableFuture<Object> serverSide = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket socket = (SSLSocket) listener.accept()) {
                    socket.setSoTimeout(10_000);
                    socket.startHandshake();
                    socket.getOutputStream().write(42);
                    socket.getOutputStream().flush();
                    return socket.getSession().getPeerCertificates()[0];
                } catch (IOException e) {
                    return e;
                }
            });
            Exception clientError = null;
            try (SSLSocket socket = (SSLSocket) clientContext.getSocketFactory().createSocket(LOOPBACK,
                    listener.getLocalPort())) {
                socket.setSoTimeout(10_000);
                SSLParameters clientParameters = clientContext.getDefaultSSLParameters();
                clientParameters.setProtocols(new String[] {"TLSv1.3"});
                clientParameters.setEndpointIdentificationAlgorithm("HTTPS");
                socket.setSSLParameters(clientParameters);
                socket.startHandshake();
                assertEquals("TLSv1.3", socket.getSession().getProtocol());
                assertEquals(42, socket.getInputStream().read());
            } catch (IOException e) {
                clientError = e;
            }
            Object serverResult = serverSide.get(20, TimeUnit.SECONDS);
            return serverResult instanceof Certificate certificate
                    ? new Outcome(null, clientError, certificate)
                    : new Outcome((Exception) serverResult, clientError, null);
        }
    }

    @Test
    void nodesOfOneCaAcceptEachOtherInBothDirections() throws Exception {
        Outcome firstToSecond = connect(secondContext, firstContext);
        assertNull(firstToSecond.server());
        assertNull(firstToSecond.client());
        assertEquals(first.read().certificate(), firstToSecond.clientAsSeenByServer());

        Outcome secondToFirst = connect(firstContext, secondContext);
        assertNull(secondToFirst.server());
        assertNull(secondToFirst.client());
        assertEquals(second.read().certificate(), secondToFirst.clientAsSeenByServer());
    }

    @Test
    void aNodeOfAnotherCaCannotConnect() throws Exception {
        Outcome outcome = connect(firstContext, strangerContext);
        assertNotNull(outcome.server(), "the server refuses the stranger's certificate");
        assertNotNull(outcome.client(), "the client is never served");
    }

    /** The CA certificate is no secret: trusting it must not be enough to be let in. */
    @Test
    void aCertificateOfAnotherCaIsRefusedEvenWhenItsHolderTrustsTheClusterCa() throws Exception {
        Outcome outcome = connect(firstContext, impostorContext);
        assertNotNull(outcome.server(), "the server refuses the impostor's certificate");
        assertNotNull(outcome.client(), "the impostor is never served");

        Outcome impostorServing = connect(impostorContext, firstContext);
        assertNotNull(impostorServing.client(), "a node does not talk to an impostor either");
    }

    @Test
    void aNodeDoesNotConnectToANodeOfAnotherCa() throws Exception {
        Outcome outcome = connect(strangerContext, firstContext);
        assertNotNull(outcome.client(), "the client refuses the stranger's certificate");
        assertNotNull(outcome.server());
    }

    @Test
    void aCertificateOfTheRightCaForAnotherAddressIsRefusedByTheClient() throws Exception {
        Outcome outcome = connect(misnamedContext, firstContext);
        assertNotNull(outcome.client());
        assertTrue(String.valueOf(outcome.client().getMessage())
                .contains("No subject alternative names matching IP address"), outcome.client().toString());
    }
}
