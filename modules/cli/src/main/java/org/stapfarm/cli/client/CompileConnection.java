package org.stapfarm.cli.client;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.stapfarm.protocol.ResponseCodec;
import org.stapfarm.security.ServerCertificateTrust;

/**
 * One exchange with a compile server (protocol section 1): TLS, then the request's length as a big-endian
 * int32 and the request zip, then the response zip up to the end of the stream. Only connecting has a
 * deadline: a server is silent while it compiles, for as long as that takes.
 */
final class CompileConnection {

    /** The server presented a certificate none of the client's databases trusts. */
    static final class UntrustedServerException extends IOException {
        private static final long serialVersionUID = 1L;
        private final transient X509Certificate certificate;

        UntrustedServerException(String message, X509Certificate certificate, Throwable cause) {
            super(message, cause);
            this.certificate = certificate;
        }

        Optional<X509Certificate> certificate() {
            return Optional.ofNullable(certificate);
        }
    }

    private static final int CONNECT_TIMEOUT_MILLIS = 10_000;

    private CompileConnection() {
    }

    static byte[] exchange(String host, int port, ServerCertificateTrust trust, byte[] request) throws IOException {
        SSLContext context = trust.sslContext();
        Socket plain = new Socket();
        try {
            plain.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, true)) {
                socket.setSSLParameters(trust.clientSslParameters(context));
                try {
                    socket.startHandshake();
                } catch (SSLHandshakeException e) {
                    if (trust.refused().isPresent()) {
                        throw new UntrustedServerException(e.getMessage(), trust.refused().get(), e);
                    }
                    throw e;
                }
                DataOutputStream out = new DataOutputStream(socket.getOutputStream());
                out.writeInt(request.length);
                out.write(request);
                out.flush();
                return readResponse(socket.getInputStream());
            }
        } finally {
            plain.close();
        }
    }

    private static byte[] readResponse(InputStream in) throws IOException {
        long limit = ResponseCodec.RESPONSE_LIMITS.maxCompressedBytes();
        byte[] response = in.readNBytes((int) limit + 1);
        if (response.length > limit) {
            throw new IOException("the server's response is larger than the client's limit of " + limit + " bytes");
        }
        return response;
    }
}
