package org.stapfarm.security;

import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A client's decision whether to trust a compile server, the way NSS decides it for the stock client
 * (protocol section 6.3): a certificate stored as a trusted peer is pinned exactly (and must be within its
 * validity period); failing that, a chain to a certificate stored as a trusted authority is accepted. Host
 * names are never compared with the certificate, as the stock client ignores mismatches (section 1.2).
 *
 * <p>One instance serves one connection: it remembers the certificate it refused, for the user's message.
 */
public final class ServerCertificateTrust extends X509ExtendedTrustManager {

    private final Set<ByteBuffer> pinned = new HashSet<>();
    private final X509TrustManager authorities;
    private final Clock clock;
    private volatile X509Certificate refused;

    /**
     * @param peers       certificates trusted as they are (NSS trust `P`)
     * @param authorities certificates trusted to issue server certificates (NSS trust `C`)
     */
    public ServerCertificateTrust(Collection<X509Certificate> peers, Collection<X509Certificate> authorities,
                                  Clock clock) {
        peers.forEach(peer -> pinned.add(ByteBuffer.wrap(Certificates.encode(peer))));
        this.authorities = authorities.isEmpty() ? null : pkix(authorities);
        this.clock = clock;
    }

    /** A TLS context for one connection that trusts servers through this instance alone. */
    public SSLContext sslContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {this}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK's TLS implementation is missing", e);
        }
    }

    /** What a client offers (protocol section 1.2): TLS 1.3 and 1.2 with the JDK's default suites. */
    public SSLParameters clientSslParameters(SSLContext context) {
        SSLParameters parameters = context.getDefaultSSLParameters();
        parameters.setProtocols(ServerIdentity.TLS_PROTOCOLS.toArray(String[]::new));
        return parameters;
    }

    /** The certificate the server presented when this instance refused it. */
    public Optional<X509Certificate> refused() {
        return Optional.ofNullable(refused);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("the server presented no certificate");
        }
        X509Certificate leaf = chain[0];
        if (pinned.contains(ByteBuffer.wrap(leaf.getEncoded()))) {
            try {
                leaf.checkValidity(Date.from(clock.instant()));
                return;
            } catch (CertificateException e) {
                refused = leaf;
                throw e;
            }
        }
        if (authorities != null) {
            try {
                authorities.checkServerTrusted(chain, authType);
                return;
            } catch (CertificateException e) {
                refused = leaf;
                throw e;
            }
        }
        refused = leaf;
        throw new CertificateException("the server's certificate is not among the trusted certificates");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("a compile-server client does not accept connections");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }

    private static X509TrustManager pkix(Collection<X509Certificate> authorities) {
        try {
            KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
            anchors.load(null, null);
            int i = 0;
            for (X509Certificate authority : authorities) {
                anchors.setCertificateEntry("authority-" + i++, authority);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
            factory.init(anchors);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509TrustManager x509) {
                    return x509;
                }
            }
            throw new IllegalStateException("the JDK's PKIX trust manager factory made no X.509 trust manager");
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot set up trust in the certificate authorities", e);
        }
    }
}
