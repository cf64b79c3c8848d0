package org.stapfarm.security;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.security.auth.x500.X500Principal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAKeyGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Objects;

/**
 * The RSA key and self-signed certificate a compile server presents in the TLS handshake and signs
 * modules with. Immutable and thread-safe.
 *
 * <p>Bouncy Castle only builds certificates here; the JDK's providers generate keys, sign and parse
 * (dependencies.md P12), so no provider is registered.
 */
public final class ServerIdentity {

    /**
     * Subject and issuer of every SystemTap server certificate: the RDNs {@code OU=Systemtap} then
     * {@code CN=Systemtap Compile Server}, both PrintableString. NSS keeps all certificates with the
     * nickname {@code stap-server} under one subject, so a server with any other subject cannot be
     * trusted next to other servers (protocol spec 6.4, 6.6).
     */
    public static final X500Principal SUBJECT;

    /** Protocol versions to enable: the 4.8 client offers both, older NSS clients only TLS 1.2 (spec 1.2). */
    public static final List<String> TLS_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /** Key size upstream generates since SystemTap 4.0. */
    public static final int DEFAULT_KEY_SIZE = 4096;

    /** Upstream's validity: twelve months. */
    public static final Duration DEFAULT_VALIDITY = Duration.ofDays(365);

    /** The `.sgn` algorithm; see {@link #moduleSignature(byte[])}. */
    public static final String MODULE_SIGNATURE_ALGORITHM = "SHA256withRSA";

    /** The smallest key we generate; anything less is no longer considered safe. */
    public static final int MINIMUM_KEY_SIZE = 2048;

    /** The certificate starts a little in the past so that clients with a slow clock accept it at once. */
    private static final Duration BACKDATING = Duration.ofMinutes(5);

    /** {@code certinfo} must have exactly this many octets for clients to recognise it as a serial (spec 5.4). */
    private static final int SERIAL_OCTETS = 5;

    /** GeneralName tag of dNSName in {@link X509Certificate#getSubjectAlternativeNames()}. */
    private static final int DNS_NAME = 2;

    private static final X500Name SUBJECT_NAME = new X500Name(new RDN[] {
            printableRdn(BCStyle.OU, "Systemtap"),
            printableRdn(BCStyle.CN, "Systemtap Compile Server"),
    });

    static {
        try {
            SUBJECT = new X500Principal(SUBJECT_NAME.getEncoded());
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Protects the key inside the throw-away in-memory PKCS#12 store behind {@link #sslContext()}; the
     * store is never written anywhere, so the password protects nothing and need not be secret.
     */
    private static final char[] IN_MEMORY_PASSWORD = "stap-server".toCharArray();

    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate certificate;
    private final PrivateKey privateKey;
    private final String certinfo;
    private final SSLContext sslContext;

    private ServerIdentity(X509Certificate certificate, PrivateKey privateKey) {
        this.certificate = certificate;
        this.privateKey = privateKey;
        this.certinfo = Certificates.certinfo(certificate);
        this.sslContext = buildSslContext(certificate, privateKey);
    }

    /**
     * An identity from an existing certificate and its private key.
     *
     * @throws IllegalArgumentException when the key is not RSA (module signatures must be RSA, spec 6.6)
     *                                  or does not belong to the certificate
     */
    public static ServerIdentity of(X509Certificate certificate, PrivateKey privateKey) {
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(privateKey, "privateKey");
        if (!(certificate.getPublicKey() instanceof RSAPublicKey publicKey)
                || !(privateKey instanceof RSAPrivateKey rsaKey)) {
            throw new IllegalArgumentException("the server key must be RSA, found "
                    + certificate.getPublicKey().getAlgorithm() + " certificate and " + privateKey.getAlgorithm() + " key");
        }
        boolean exponentMatches = !(rsaKey instanceof RSAPrivateCrtKey crtKey)
                || crtKey.getPublicExponent().equals(publicKey.getPublicExponent());
        if (!rsaKey.getModulus().equals(publicKey.getModulus()) || !exponentMatches) {
            throw new IllegalArgumentException("the private key does not belong to the certificate");
        }
        return new ServerIdentity(certificate, privateKey);
    }

    /**
     * Generates a new RSA key (e = 65537) and a self-signed v3 certificate as protocol spec 6.6 requires:
     * subject = issuer = {@link #SUBJECT}; a random serial of 32 bits with the top bit set (DER content
     * {@code 00 xx xx xx xx}); sha256WithRSA; valid from five minutes before {@code now} until
     * {@code now + validity}; a non-critical subjectAltName holding {@code dnsNames} in order.
     *
     * @param dnsNames the subjectAltName DNS names, at least one; clients show the first as the host
     */
    public static ServerIdentity generate(List<String> dnsNames, int keySize, Duration validity, Instant now) {
        if (dnsNames.isEmpty()) {
            throw new IllegalArgumentException("a server certificate needs at least one DNS name");
        }
        if (keySize < MINIMUM_KEY_SIZE) {
            throw new IllegalArgumentException("RSA key size " + keySize + " is below " + MINIMUM_KEY_SIZE);
        }
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("validity must be positive: " + validity);
        }
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(new RSAKeyGenParameterSpec(keySize, RSAKeyGenParameterSpec.F4), RANDOM);
            KeyPair keyPair = generator.generateKeyPair();

            // X.509 times have whole seconds; truncating keeps the in-memory and encoded values equal.
            Instant notBefore = now.minus(BACKDATING).truncatedTo(ChronoUnit.SECONDS);
            Instant notAfter = now.plus(validity).truncatedTo(ChronoUnit.SECONDS);
            GeneralName[] altNames = dnsNames.stream()
                    .map(name -> new GeneralName(GeneralName.dNSName, name))
                    .toArray(GeneralName[]::new);
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    SUBJECT_NAME, randomSerial(), Date.from(notBefore), Date.from(notAfter),
                    SUBJECT_NAME, keyPair.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(altNames));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keyPair.getPrivate())));
            return new ServerIdentity(certificate, keyPair.getPrivate());
        } catch (GeneralSecurityException | OperatorCreationException e) {
            // RSA and SHA256withRSA are mandatory for every Java platform.
            throw new IllegalStateException("cannot generate the server certificate", e);
        } catch (CertIOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What in {@code certificate} keeps unmodified SystemTap clients from using it fully (protocol spec
     * 6.6), one sentence each; empty when nothing does. Useful for certificates supplied by an operator.
     */
    public static List<String> compatibilityProblems(X509Certificate certificate) {
        List<String> problems = new ArrayList<>();
        // Byte comparisons, because X500Principal.equals ignores the string types NSS tells apart.
        byte[] subject = certificate.getSubjectX500Principal().getEncoded();
        if (!Arrays.equals(SUBJECT.getEncoded(), subject)) {
            problems.add("its subject is not \"" + SUBJECT.getName()
                    + "\" (PrintableString), so clients that trust another stap server cannot trust it as well");
        }
        if (!Arrays.equals(certificate.getIssuerX500Principal().getEncoded(), subject)) {
            problems.add("it is not self-signed, so clients cannot trust it with --trust-servers");
        }
        if (certificate.getSerialNumber().toByteArray().length != SERIAL_OCTETS) {
            problems.add("its serial is not " + SERIAL_OCTETS + " octets long, so clients cannot select or revoke it by serial");
        }
        try {
            Collection<List<?>> altNames = certificate.getSubjectAlternativeNames();
            if (altNames == null || altNames.isEmpty()) {
                problems.add("it has no subjectAltName, so clients cannot list it as trusted");
            } else if (!Integer.valueOf(DNS_NAME).equals(altNames.iterator().next().get(0))) {
                problems.add("its first subjectAltName is not a DNS name, which crashes the 4.8 client's server listing");
            }
        } catch (CertificateParsingException e) {
            problems.add("its subjectAltName cannot be parsed: " + e.getMessage());
        }
        if (!"RSA".equals(certificate.getPublicKey().getAlgorithm())) {
            problems.add("its key is not RSA, so staprun cannot verify module signatures");
        }
        return problems;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public PrivateKey privateKey() {
        return privateKey;
    }

    /** The serial as advertised in DNS-SD and matched by clients, e.g. {@code 00:cc:1a:11:2e} (spec 5.2). */
    public String certinfo() {
        return certinfo;
    }

    /**
     * The detached signature that `staprun` checks before it lets a member of `stapusr` or `stapsys` load a
     * module (protocol spec 4.5): the raw RSASSA-PKCS1-v1_5 signature over the whole file with this
     * server's key, no wrapper, {@code modulus length} bytes, written as `MODULE.sgn`. SHA-256, as SystemTap
     * 5.5 and later sign: every `staprun` since 2012 verifies it, since before 5.5 it takes the digest
     * algorithm from the signature itself and from 5.5 on it tries SHA-256 first.
     */
    public byte[] moduleSignature(byte[] module) {
        try {
            Signature signature = Signature.getInstance(MODULE_SIGNATURE_ALGORITHM);
            signature.initSign(privateKey);
            signature.update(module);
            return signature.sign();
        } catch (GeneralSecurityException e) {
            // SHA256withRSA is mandatory on every Java platform, and the key was checked to be RSA.
            throw new IllegalStateException("cannot sign a module", e);
        }
    }

    /** Whether the certificate is no longer valid at {@code instant}. */
    public boolean expiresBefore(Instant instant) {
        return certificate.getNotAfter().toInstant().isBefore(instant);
    }

    /** Whether {@code instant} lies within the certificate's validity period (both ends inclusive). */
    public boolean isValidAt(Instant instant) {
        return !certificate.getNotBefore().toInstant().isAfter(instant) && !expiresBefore(instant);
    }

    /**
     * A TLS context ({@code "TLS"}, JDK providers) presenting this certificate. Configure each server
     * socket or engine made from it with {@link #serverSslParameters()}.
     */
    public SSLContext sslContext() {
        return sslContext;
    }

    /**
     * Parameters for the server side, for {@code SSLServerSocket.setSSLParameters} or
     * {@code SSLEngine.setSSLParameters}: {@link #TLS_PROTOCOLS}, the JDK's default cipher suites and no
     * client certificate (spec 1.2). A fresh object on every call because {@link SSLParameters} is mutable.
     */
    public SSLParameters serverSslParameters() {
        SSLParameters parameters = sslContext.getDefaultSSLParameters();
        parameters.setProtocols(TLS_PROTOCOLS.toArray(String[]::new));
        parameters.setNeedClientAuth(false);
        parameters.setWantClientAuth(false);
        return parameters;
    }

    @Override
    public String toString() {
        return "ServerIdentity[certinfo=" + certinfo + ", notAfter=" + certificate.getNotAfter().toInstant() + "]";
    }

    private static RDN printableRdn(ASN1ObjectIdentifier type, String value) {
        // Built by hand because BC's default X500NameStyle would encode CN and OU as UTF8String.
        return new RDN(new AttributeTypeAndValue(type, new DERPrintableString(value)));
    }

    private static BigInteger randomSerial() {
        // The top bit set keeps the DER content at exactly 5 octets (00 + 4), like upstream's serials.
        long serial = (RANDOM.nextInt() & 0xFFFF_FFFFL) | 0x8000_0000L;
        return BigInteger.valueOf(serial);
    }

    private static SSLContext buildSslContext(X509Certificate certificate, PrivateKey privateKey) {
        try {
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(null, null);
            keyStore.setKeyEntry("stap-server", privateKey, IN_MEMORY_PASSWORD, new Certificate[] {certificate});
            KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keyStore, IN_MEMORY_PASSWORD);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            // Only JDK-mandated algorithms are involved and nothing is read from outside.
            throw new IllegalStateException("cannot build the TLS context", e);
        }
    }
}
