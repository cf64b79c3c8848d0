package org.stapfarm.node.server;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stapfarm.node.NodeSettings;

/**
 * The stap-facing port: TLS, the int32 length + zip framing, and the request limits. Each connection is
 * served by a connection thread of its own (bounded by max-connections), so a client that stalls during
 * the handshake or upload only holds its own thread until its timeout, never a translator slot.
 *
 * <p>TLS is layered onto accepted sockets rather than built into the server socket, so a renewed
 * certificate applies to the next connection without rebinding the port.
 */
final class TlsListener implements AutoCloseable {

    /** Turns request bytes into response bytes; runs on the connection thread. */
    interface Exchange {
        byte[] answer(byte[] requestZip, String peer);

        byte[] refuse(String message);
    }

    private static final Logger log = LoggerFactory.getLogger(TlsListener.class);
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    /** A body over the limit but below this is read and discarded, so the client gets to read the refusal. */
    private static final long DISCARD_CEILING = 64L * 1024 * 1024;

    private final ServerSocket serverSocket;
    private final NodeSettings.Listener settings;
    private final long maxCompressedRequest;
    private final Exchange exchange;
    private final Semaphore connectionSlots;
    private final ExecutorService connections;
    private final Thread acceptor;
    private volatile SSLContext tls;
    private volatile boolean accepting = true;

    private TlsListener(ServerSocket serverSocket, NodeSettings.Listener settings, long maxCompressedRequest,
                        SSLContext tls, Exchange exchange, String name) {
        this.serverSocket = serverSocket;
        this.settings = settings;
        this.maxCompressedRequest = maxCompressedRequest;
        this.tls = tls;
        this.exchange = exchange;
        this.connectionSlots = new Semaphore(settings.maxConnections());
        AtomicInteger counter = new AtomicInteger();
        this.connections = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, name + "-connection-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.acceptor = new Thread(this::acceptLoop, name + "-acceptor");
        this.acceptor.setDaemon(true);
    }

    /**
     * Binds the wildcard address (dual stack: IPv4 clients arrive as mapped addresses) and starts
     * accepting. Port 0 lets the kernel choose.
     */
    static TlsListener open(int port, NodeSettings.Listener settings, long maxCompressedRequest, SSLContext tls,
                            Exchange exchange, String name) throws IOException {
        ServerSocket serverSocket = new ServerSocket();
        serverSocket.setReuseAddress(true);
        try {
            serverSocket.bind(new InetSocketAddress(port), settings.backlog());
        } catch (IOException e) {
            serverSocket.close();
            throw new IOException("cannot listen on port " + port + ": " + e.getMessage(), e);
        }
        TlsListener listener = new TlsListener(serverSocket, settings, maxCompressedRequest, tls, exchange, name);
        listener.acceptor.start();
        return listener;
    }

    int port() {
        return serverSocket.getLocalPort();
    }

    void useTls(SSLContext renewed) {
        tls = renewed;
    }

    /** Stops accepting new connections; connections already accepted are still answered. */
    void stopAccepting() {
        accepting = false;
        try {
            serverSocket.close();
        } catch (IOException e) {
            log.debug("closing the listening socket failed", e);
        }
        connections.shutdown();
    }

    /** Waits until every accepted connection has been answered, or the time is up. */
    boolean awaitIdle(Duration timeout) throws InterruptedException {
        return connections.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        stopAccepting();
        connections.shutdownNow();
    }

    private void acceptLoop() {
        while (accepting) {
            try {
                connectionSlots.acquire();
                Socket socket = serverSocket.accept();
                connections.execute(() -> {
                    try {
                        serve(socket);
                    } finally {
                        connectionSlots.release();
                    }
                });
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException | java.util.concurrent.RejectedExecutionException e) {
                connectionSlots.release();
                if (accepting) {
                    log.warn("accepting a connection failed: {}", e.getMessage());
                }
            }
        }
    }

    private void serve(Socket socket) {
        String peer = socket.getRemoteSocketAddress().toString();
        try (socket) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout((int) settings.handshakeTimeout().toMillis());
            SSLSocket tlsSocket = (SSLSocket) tls.getSocketFactory()
                    .createSocket(socket, null, socket.getPort(), true);
            try (tlsSocket) {
                tlsSocket.setUseClientMode(false);
                tlsSocket.setEnabledProtocols(PROTOCOLS);
                tlsSocket.setNeedClientAuth(false);
                tlsSocket.startHandshake();
                exchange(tlsSocket, peer);
            }
        } catch (SocketTimeoutException e) {
            log.info("Connection from {} timed out before its request was complete", peer);
        } catch (EOFException e) {
            log.info("Connection from {} closed before its request was complete", peer);
        } catch (SSLException e) {
            log.info("TLS with {} failed: {}", peer, e.getMessage());
        } catch (SocketException e) {
            log.info("Connection from {} failed: {}", peer, e.getMessage());
        } catch (IOException | RuntimeException e) {
            log.warn("Connection from {} failed", peer, e);
        }
    }

    private void exchange(SSLSocket socket, String peer) throws IOException {
        long deadline = System.nanoTime() + settings.requestTimeout().toNanos();
        socket.setSoTimeout((int) settings.requestTimeout().toMillis());
        DataInputStream in = new DataInputStream(socket.getInputStream());
        int length = in.readInt();
        if (length == 0) {
            log.debug("Trust probe from {}", peer);
            return;
        }
        OutputStream out = socket.getOutputStream();
        if (length < 0) {
            log.info("Request from {} announced a negative size ({}); closing", peer, length);
            return;
        }
        byte[] response;
        if (length > maxCompressedRequest) {
            log.info("Request from {} of {} bytes exceeds the limit of {} compressed bytes",
                    peer, length, maxCompressedRequest);
            if (length <= Math.max(DISCARD_CEILING, maxCompressedRequest)) {
                discard(in, length, deadline);
            }
            response = exchange.refuse("the request of " + length + " bytes exceeds this server's limit of "
                    + maxCompressedRequest + " compressed bytes (--max-compressed-request)");
        } else {
            response = exchange.answer(readFully(in, length, deadline), peer);
        }
        out.write(response);
        out.flush();
    }

    private static byte[] readFully(InputStream in, int length, long deadline) throws IOException {
        byte[] body = new byte[length];
        int read = 0;
        while (read < length) {
            int n = in.read(body, read, length - read);
            if (n < 0) {
                throw new EOFException();
            }
            read += n;
            requireBefore(deadline);
        }
        return body;
    }

    private static void discard(InputStream in, long length, long deadline) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long left = length;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new EOFException();
            }
            left -= n;
            requireBefore(deadline);
        }
    }

    /** The socket timeout bounds each read; this bounds the whole upload against a client that trickles. */
    private static void requireBefore(long deadline) throws SocketTimeoutException {
        if (System.nanoTime() > deadline) {
            throw new SocketTimeoutException("request deadline passed");
        }
    }
}
