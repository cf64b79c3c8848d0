package org.stapfarm.node.server;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import jdk.net.ExtendedSocketOptions;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stapfarm.node.NodeSettings;

/**
 * The stap-facing port: TLS, the int32 length + zip framing, and the request limits. Each connection is
 * served by a connection thread of its own (bounded by max-connections), so a client that stalls during
 * the handshake, upload or download only holds its own thread until that phase's deadline, never a
 * translator slot.
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
    private final ScheduledExecutorService watchdog;
    private volatile SSLContext tls;
    private volatile boolean accepting = true;

    private TlsListener(ServerSocket serverSocket, NodeSettings.Listener settings, long maxCompressedRequest,
                        SSLContext tls, Exchange exchange, ServerThreads threads) {
        this.serverSocket = serverSocket;
        this.settings = settings;
        this.maxCompressedRequest = maxCompressedRequest;
        this.tls = tls;
        this.exchange = exchange;
        this.connectionSlots = new Semaphore(settings.maxConnections());
        this.connections = Executors.newCachedThreadPool(threads.factory("connection"));
        this.acceptor = threads.factory("acceptor").newThread(this::acceptLoop);
        this.watchdog = Executors.newSingleThreadScheduledExecutor(threads.factory("deadlines"));
    }

    /**
     * Binds the wildcard address (dual stack: IPv4 clients arrive as mapped addresses) and starts
     * accepting. Port 0 lets the kernel choose.
     */
    static TlsListener open(int port, NodeSettings.Listener settings, long maxCompressedRequest, SSLContext tls,
                            Exchange exchange, ServerThreads threads) throws IOException {
        ServerSocket serverSocket = new ServerSocket();
        serverSocket.setReuseAddress(true);
        try {
            serverSocket.bind(new InetSocketAddress(port), settings.backlog());
        } catch (IOException e) {
            serverSocket.close();
            throw new IOException("cannot listen on port " + port + ": " + e.getMessage(), e);
        }
        TlsListener listener = new TlsListener(serverSocket, settings, maxCompressedRequest, tls, exchange, threads);
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
        watchdog.shutdownNow();
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
            } catch (IOException | RejectedExecutionException e) {
                connectionSlots.release();
                if (accepting) {
                    log.warn("accepting a connection failed: {}", e.getMessage());
                }
            }
        }
    }

    private void serve(Socket socket) {
        String peer = socket.getRemoteSocketAddress().toString();
        Deadline deadline = new Deadline(socket);
        try (socket) {
            socket.setTcpNoDelay(true);
            deadline.start("TLS handshake", settings.handshakeTimeout());
            SSLSocket tlsSocket = (SSLSocket) tls.getSocketFactory()
                    .createSocket(socket, null, socket.getPort(), true);
            try (tlsSocket) {
                tlsSocket.setUseClientMode(false);
                tlsSocket.setEnabledProtocols(PROTOCOLS);
                tlsSocket.setNeedClientAuth(false);
                tlsSocket.startHandshake();
                exchange(tlsSocket, socket, peer, deadline);
            }
        } catch (IOException | RuntimeException e) {
            if (deadline.expired() != null) {
                log.info("Connection from {} closed: its {} took longer than {} s", peer, deadline.expired(),
                        deadline.limit().toSeconds());
            } else if (e instanceof EOFException) {
                log.info("Connection from {} closed before its request was complete", peer);
            } else if (e instanceof SSLException || e instanceof SocketException) {
                log.info("Connection from {} failed: {}", peer, e.getMessage());
            } else {
                log.warn("Connection from {} failed", peer, e);
            }
        } finally {
            deadline.clear();
        }
    }

    private void exchange(SSLSocket socket, Socket tcp, String peer, Deadline deadline) throws IOException {
        deadline.start("request upload", settings.requestTimeout());
        DataInputStream in = new DataInputStream(socket.getInputStream());
        acknowledgePromptly(tcp);
        int length = in.readInt();
        if (length == 0) {
            log.debug("Trust probe from {}", peer);
            return;
        }
        if (length < 0) {
            log.info("Request from {} announced a negative size ({}); closing", peer, length);
            return;
        }
        byte[] response;
        if (length > maxCompressedRequest) {
            log.info("Request from {} of {} bytes exceeds the limit of {} compressed bytes",
                    peer, length, maxCompressedRequest);
            if (length <= Math.max(DISCARD_CEILING, maxCompressedRequest)) {
                in.skipNBytes(length);
            }
            response = exchange.refuse("the request of " + length + " bytes exceeds this server's limit of "
                    + maxCompressedRequest + " compressed bytes (--max-compressed-request)");
        } else {
            acknowledgePromptly(tcp);
            byte[] request = in.readNBytes(length);
            if (request.length < length) {
                throw new EOFException();
            }
            // A compile may take minutes while the client waits silently: no deadline until the answer.
            deadline.clear();
            response = exchange.answer(request, peer);
        }
        deadline.start("response download", settings.responseTimeout());
        OutputStream out = socket.getOutputStream();
        out.write(response);
        out.flush();
    }

    /**
     * The stock client writes the length and the zip as two small segments without TCP_NODELAY: Nagle's
     * algorithm holds the zip until the length is acknowledged, and a delayed ACK would add some 40 ms to
     * a request. Linux forgets quick-ACK mode again, hence before each read.
     */
    private static void acknowledgePromptly(Socket tcp) {
        try {
            tcp.setOption(ExtendedSocketOptions.TCP_QUICKACK, true);
        } catch (IOException | UnsupportedOperationException e) {
            log.debug("TCP_QUICKACK is not available: {}", e.getMessage());
        }
    }

    /**
     * Closes the connection when a phase overruns its time. Socket read timeouts restart with every byte,
     * so a client trickling its handshake or upload would never hit them, and they do not bound writes to a
     * client that stops reading.
     */
    private final class Deadline {
        private final Socket socket;
        private ScheduledFuture<?> pending;
        private Duration limit = Duration.ZERO;
        private volatile String expired;

        Deadline(Socket socket) {
            this.socket = socket;
        }

        void start(String phase, Duration limit) {
            clear();
            this.limit = limit;
            pending = watchdog.schedule(() -> {
                expired = phase;
                try {
                    socket.close();
                } catch (IOException e) {
                    log.debug("closing an overdue connection failed", e);
                }
            }, limit.toMillis(), TimeUnit.MILLISECONDS);
        }

        void clear() {
            if (pending != null) {
                pending.cancel(false);
            }
        }

        String expired() {
            return expired;
        }

        Duration limit() {
            return limit;
        }
    }
}
