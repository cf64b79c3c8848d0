package org.stapfarm.dist;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A compile-server client written with JSSE, for the exchanges the stock client cannot produce: arbitrary
 * length prefixes, partial or garbage bodies, stalls. It trusts exactly the server's own certificate
 * (`<ssl dir>/stap.cert`), as a client that added the server with `--trust-servers` does, and connects to
 * 127.0.0.1 (no host name to verify).
 */
final class RawClient {

    /** How a reply read ended. */
    enum Ending {
        /** The server closed the connection (TLS close_notify or TCP FIN). */
        EOF,
        /** The connection broke: TCP reset, or a TLS error such as a missing close_notify. */
        BROKEN,
        /** Nothing ended the connection within the time the caller allowed. */
        TIMEOUT
    }

    /**
     * What came back on one connection: every byte read, how the connection ended, and how long after the
     * read started (`waited`) or after the connection was opened (`sinceOpen`) it ended.
     */
    record Reply(byte[] bytes, Ending ending, String failure, Duration waited, Duration sinceOpen) {

        /** The response zip's entries, name to content; fails the test if the bytes are not a zip. */
        Map<String, byte[]> files() {
            return unzip(bytes);
        }

        int rc() {
            byte[] rc = files().get("rc");
            if (rc == null) {
                throw new AssertionError("the response has no rc file: " + files().keySet());
            }
            return Integer.parseInt(new String(rc, StandardCharsets.US_ASCII).strip());
        }

        String stdout() {
            return text("stdout");
        }

        String stderr() {
            return text("stderr");
        }

        private String text(String name) {
            byte[] content = files().get(name);
            return content == null ? "" : new String(content, StandardCharsets.UTF_8);
        }

        /** Every entry's content as text, for "does not contain" checks over the whole response. */
        String allText() {
            StringBuilder text = new StringBuilder();
            files().forEach((name, content) -> text.append(name).append('\n')
                    .append(new String(content, StandardCharsets.UTF_8)).append('\n'));
            return text.toString();
        }

        @Override
        public String toString() {
            return "Reply[" + bytes.length + " bytes, " + ending + (failure != null ? " (" + failure + ")" : "")
                    + " after " + waited.toMillis() + " ms, " + sinceOpen.toMillis() + " ms after opening]";
        }
    }

    /**
     * Runs each task on a thread of its own: blocking reads must not share the common fork-join pool,
     * which has a single thread on a two-core machine.
     */
    static final Executor THREAD_PER_TASK = task -> {
        Thread thread = new Thread(task, "raw-client");
        thread.setDaemon(true);
        thread.start();
    };

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Long enough for a -p2 compile on a loaded machine; tests that bound something pass their own. */
    static final Duration DEFAULT_REPLY_TIMEOUT = Duration.ofSeconds(120);

    private final SSLContext tls;
    private final X509Certificate certificate;
    final int port;

    private RawClient(SSLContext tls, X509Certificate certificate, int port) {
        this.tls = tls;
        this.certificate = certificate;
        this.port = port;
    }

    static RawClient of(ServerProcess server) {
        return trusting(server.sslDirectory.resolve("stap.cert"), server.port);
    }

    /** A client that trusts only the DER certificate in `certificateFile`. */
    static RawClient trusting(Path certificateFile, int port) {
        try (InputStream in = Files.newInputStream(certificateFile)) {
            X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(in);
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            trusted.setCertificateEntry("stap-server", certificate);
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return new RawClient(context, certificate, port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot trust " + certificateFile + ": " + e.getMessage(), e);
        }
    }

    X509Certificate certificate() {
        return certificate;
    }

    /** A complete, well-behaved exchange: the length, the whole zip, then the reply read to its end. */
    Reply exchange(byte[] zip) throws IOException {
        return exchange(zip, DEFAULT_REPLY_TIMEOUT);
    }

    Reply exchange(byte[] zip, Duration timeout) throws IOException {
        try (Connection connection = connect()) {
            connection.sendLength(zip.length).send(zip);
            return connection.readReply(timeout);
        }
    }

    /** TCP connection and a completed TLS handshake. */
    Connection connect() throws IOException {
        return connect(CONNECT_TIMEOUT, 0);
    }

    /**
     * TCP connection and a TLS handshake that must complete within `handshakeTimeout`
     * (SocketTimeoutException otherwise). A positive `receiveBuffer` fixes the socket's receive buffer
     * (and so the TCP window) before connecting, for clients that are not going to read.
     */
    Connection connect(Duration handshakeTimeout, int receiveBuffer) throws IOException {
        Socket plain = plainSocket(port, receiveBuffer);
        long opened = System.nanoTime();
        SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket(plain, "127.0.0.1", port, true);
        socket.setUseClientMode(true);
        socket.setSoTimeout((int) handshakeTimeout.toMillis());
        try {
            socket.startHandshake();
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        return new Connection(socket, opened);
    }

    /** A plain TCP connection to the server's port: no TLS at all, for garbage and stalls. */
    static Socket plainSocket(int port) throws IOException {
        return plainSocket(port, 0);
    }

    private static Socket plainSocket(int port, int receiveBuffer) throws IOException {
        Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), (int) CONNECT_TIMEOUT.toMillis());
        return socket;
    }

    /** A plain TCP connection wrapped as a {@link Connection}, so garbage can be sent and the end observed. */
    static Connection plain(int port) throws IOException {
        return new Connection(plainSocket(port), System.nanoTime());
    }

    /**
     * The bytes of a genuine TLS ClientHello as this client would send it, produced by an SSLEngine, so a
     * test can deliver a real handshake start slowly or partly over a plain socket.
     */
    byte[] clientHello() {
        try {
            SSLEngine engine = tls.createSSLEngine("127.0.0.1", port);
            engine.setUseClientMode(true);
            engine.beginHandshake();
            ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
            SSLEngineResult result = engine.wrap(ByteBuffer.allocate(0), out);
            if (result.bytesProduced() == 0) {
                throw new IllegalStateException("the engine produced no ClientHello: " + result);
            }
            out.flip();
            byte[] hello = new byte[out.remaining()];
            out.get(hello);
            return hello;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One connection under the test's full control. Sends go out at once (TCP_NODELAY, own TLS records). */
    static final class Connection implements AutoCloseable {

        final Socket socket;
        private final long opened;
        private final OutputStream out;

        private Connection(Socket socket, long opened) throws IOException {
            this.socket = socket;
            this.opened = opened;
            this.out = socket.getOutputStream();
        }

        /** The 4-byte big-endian length prefix, as its own write (the real client sends it as its own record). */
        Connection sendLength(int length) throws IOException {
            return send(ByteBuffer.allocate(4).putInt(length).array());
        }

        Connection send(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
            return this;
        }

        Connection send(byte[] bytes, int offset, int length) throws IOException {
            out.write(bytes, offset, length);
            out.flush();
            return this;
        }

        /**
         * Stops sending but keeps reading: TLS close_notify (TLS 1.3 half-close) or TCP FIN on a plain
         * socket.
         */
        Connection halfClose() throws IOException {
            socket.shutdownOutput();
            return this;
        }

        /** Time since the TCP connection was opened. */
        Duration age() {
            return Duration.ofNanos(System.nanoTime() - opened);
        }

        /** Reads until the server ends the connection or `timeout` passes, whichever comes first. */
        Reply readReply(Duration timeout) {
            long start = System.nanoTime();
            long deadline = start + timeout.toNanos();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            Ending ending;
            String failure = null;
            try {
                InputStream in = socket.getInputStream();
                byte[] buffer = new byte[64 * 1024];
                while (true) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        ending = Ending.TIMEOUT;
                        break;
                    }
                    socket.setSoTimeout((int) Math.max(1, Duration.ofNanos(left).toMillis()));
                    int n;
                    try {
                        n = in.read(buffer);
                    } catch (SocketTimeoutException e) {
                        continue;
                    }
                    if (n < 0) {
                        ending = Ending.EOF;
                        break;
                    }
                    bytes.write(buffer, 0, n);
                }
            } catch (IOException e) {
                ending = Ending.BROKEN;
                failure = e.toString();
            }
            long end = System.nanoTime();
            return new Reply(bytes.toByteArray(), ending, failure, Duration.ofNanos(end - start),
                    Duration.ofNanos(end - opened));
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** `work` on a thread of its own. */
    static <T> CompletableFuture<T> inBackground(Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, THREAD_PER_TASK);
    }

    /** A zip's entries, name to content, read with java.util.zip; directories map to empty content. */
    static Map<String, byte[]> unzip(byte[] zip) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                files.put(entry.getName(), in.readAllBytes());
            }
        } catch (IOException e) {
            throw new AssertionError("the response is not a readable zip (" + zip.length + " bytes): " + e, e);
        }
        if (files.isEmpty()) {
            throw new AssertionError("the response is not a zip with entries (" + zip.length + " bytes)");
        }
        return files;
    }
}
