package org.stapfarm.cli.client;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.stapfarm.protocol.CompileRequest;
import org.stapfarm.protocol.CompileResult;
import org.stapfarm.protocol.ProtocolVersion;
import org.stapfarm.protocol.RequestCodec;
import org.stapfarm.protocol.RequestLimits;
import org.stapfarm.protocol.ResponseCodec;
import org.stapfarm.security.ServerIdentity;

/** A compile server on 127.0.0.1 that answers one request with a fixed result, and keeps the request. */
final class FakeServer implements AutoCloseable {

    private final SSLServerSocket socket;
    final CompletableFuture<CompileRequest> request = new CompletableFuture<>();

    FakeServer(ServerIdentity identity, CompileResult result) throws IOException {
        socket = (SSLServerSocket) identity.sslContext().getServerSocketFactory()
                .createServerSocket(0, 5, InetAddress.getLoopbackAddress());
        socket.setSSLParameters(identity.serverSslParameters());
        Thread thread = new Thread(() -> serve(result), "fake-compile-server");
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    private void serve(CompileResult result) {
        try (SSLSocket connection = (SSLSocket) socket.accept()) {
            DataInputStream in = new DataInputStream(connection.getInputStream());
            byte[] zip = new byte[in.readInt()];
            in.readFully(zip);
            request.complete(new RequestCodec(new RequestLimits(1 << 20, 1 << 20, 1000)).decode(zip));
            connection.getOutputStream().write(new ResponseCodec().encode(ProtocolVersion.parse("4.8"), result));
        } catch (Exception e) {
            request.completeExceptionally(e);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
