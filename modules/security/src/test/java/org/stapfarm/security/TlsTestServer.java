package org.stapfarm.security;

import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A TLS server on 127.0.0.1 configured the way a compile server is ({@link ServerIdentity#sslContext()} +
 * {@link ServerIdentity#serverSslParameters()}). Each connection is handshaken, drained until the client
 * closes; the handshake's outcome is queued: the negotiated "protocol cipher-suite", or the failure.
 */
final class TlsTestServer implements AutoCloseable {

    private final SSLServerSocket serverSocket;
    private final BlockingQueue<String> outcomes = new LinkedBlockingQueue<>();
    private final Thread acceptor;

    TlsTestServer(ServerIdentity identity) throws IOException {
        serverSocket = (SSLServerSocket) identity.sslContext().getServerSocketFactory()
                .createServerSocket(0, 5, InetAddress.getLoopbackAddress());
        serverSocket.setSSLParameters(identity.serverSslParameters());
        acceptor = new Thread(this::acceptLoop, "tls-test-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return serverSocket.getLocalPort();
    }

    /** The next connection's outcome: "TLSv1.3 TLS_AES_256_GCM_SHA384" or "failed: ...". */
    String nextOutcome() throws InterruptedException {
        String outcome = outcomes.poll(30, TimeUnit.SECONDS);
        if (outcome == null) {
            throw new AssertionError("no connection reached the test server");
        }
        return outcome;
    }

    private void acceptLoop() {
        while (!serverSocket.isClosed()) {
            try (SSLSocket socket = (SSLSocket) serverSocket.accept()) {
                socket.setSoTimeout(20_000);
                try {
                    socket.startHandshake();
                } catch (IOException e) {
                    outcomes.add("failed: " + e);
                    continue;
                }
                outcomes.add(socket.getSession().getProtocol() + " " + socket.getSession().getCipherSuite());
                drain(socket.getInputStream());
            } catch (IOException e) {
                if (!serverSocket.isClosed()) {
                    outcomes.add("failed: " + e);
                }
            }
        }
    }

    /** Reads until the client closes; what it sends and how it closes do not matter here. */
    private static void drain(InputStream in) {
        byte[] buffer = new byte[4096];
        try {
            while (in.read(buffer) >= 0) {
                // discard
            }
        } catch (IOException ignored) {
            // an abrupt close is still a close
        }
    }

    @Override
    public void close() throws IOException {
        serverSocket.close();
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
