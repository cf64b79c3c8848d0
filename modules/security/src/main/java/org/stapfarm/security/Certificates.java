package org.stapfarm.security;

import java.io.ByteArrayInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Encoding and the textual forms of certificates that SystemTap clients show or match on.
 * Parsing uses the JDK's X.509 factory, never a Bouncy Castle provider (see dependencies.md P12).
 */
public final class Certificates {

    private static final HexFormat COLON_HEX = HexFormat.ofDelimiter(":");

    private Certificates() {
    }

    /** The DER encoding of {@code certificate}. */
    public static byte[] encode(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (CertificateEncodingException e) {
            // A certificate that was parsed or built successfully always has an encoding.
            throw new IllegalStateException("cannot encode certificate", e);
        }
    }

    /** Parses one X.509 certificate (DER, or PEM as the JDK also accepts it). */
    public static X509Certificate decode(byte[] encoded) throws CertificateException {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(encoded));
    }

    /**
     * Every certificate in {@code encoded}: one DER certificate, or any number of PEM blocks. A file meant to
     * name one certificate must hold exactly one, so that nobody trusts a certificate they did not look at.
     */
    public static List<X509Certificate> decodeAll(byte[] encoded) throws CertificateException {
        List<X509Certificate> certificates = new ArrayList<>();
        for (Certificate certificate : CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(encoded))) {
            certificates.add((X509Certificate) certificate);
        }
        return certificates;
    }

    /**
     * The {@code certinfo} a SystemTap server advertises and clients match on (protocol spec 5.2): the
     * serial number's DER INTEGER content octets, including the leading {@code 00} a serial with its
     * high bit set needs, as lowercase hex pairs joined by {@code ':'}, e.g. {@code 00:cc:1a:11:2e}.
     */
    public static String certinfo(X509Certificate certificate) {
        // BigInteger.toByteArray() is the minimal two's-complement form, which is exactly DER's content.
        return hexPairs(certificate.getSerialNumber().toByteArray());
    }

    /**
     * SHA-1 over the DER encoding as lowercase hex pairs joined by {@code ':'}, the form SystemTap uses for
     * MOK fingerprints ({@code mok_info}).
     */
    public static String sha1Fingerprint(byte[] der) {
        return fingerprint("SHA-1", der);
    }

    /** {@link #sha1Fingerprint(byte[])} of the certificate's DER encoding. */
    public static String sha1Fingerprint(X509Certificate certificate) {
        return sha1Fingerprint(encode(certificate));
    }

    /**
     * SHA-256 over the DER encoding, as lowercase hex pairs joined by {@code ':'}: what
     * {@code openssl x509 -noout -fingerprint -sha256} prints, in lowercase.
     */
    public static String sha256Fingerprint(X509Certificate certificate) {
        return fingerprint("SHA-256", encode(certificate));
    }

    private static String fingerprint(String digest, byte[] der) {
        try {
            return hexPairs(MessageDigest.getInstance(digest).digest(der));
        } catch (NoSuchAlgorithmException e) {
            // Every Java platform is required to provide SHA-1 and SHA-256.
            throw new IllegalStateException(e);
        }
    }

    /** Lowercase hex pairs joined by {@code ':'}; empty for no bytes. */
    public static String hexPairs(byte[] bytes) {
        return COLON_HEX.formatHex(bytes);
    }
}
