package org.stapfarm.security;

import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The small certificate authority of one stapfarm cluster: nodes trust exactly its certificate, so only
 * nodes it issued a certificate to can join (Artery over mutual TLS, dependencies.md P11). Immutable.
 *
 * <p>Its directory, made by {@link #saveTo}:
 * <pre>
 *   DIR/             0700 when we create it; must be ours and not writable by others
 *   DIR/ca.p12       0600  PKCS#12: the CA's key and certificate under the alias {@code ca}
 *   DIR/ca.crt       0644  the CA certificate, PEM, for inspection ({@code openssl x509 -text -in ca.crt})
 *   DIR/password     0600  one line: the password of ca.p12 and of its key
 * </pre>
 *
 * <p>Keys are EC P-256 (quick to make, and what TLS 1.3 prefers); Bouncy Castle only builds certificates,
 * the JDK's providers generate keys and sign (dependencies.md P12).
 */
public final class ClusterAuthority {

    public static final String KEY_STORE = "ca.p12";
    public static final String CERTIFICATE_FILE = "ca.crt";
    public static final String PASSWORD_FILE = "password";
    public static final String ALIAS = "ca";

    /** Ten years: replacing a CA means issuing every node again. */
    public static final Duration DEFAULT_VALIDITY = Duration.ofDays(3650);
    /** A year: there is no revocation, so a node certificate that leaks should not be good for long. */
    public static final Duration DEFAULT_NODE_VALIDITY = Duration.ofDays(365);

    private static final String CURVE = "secp256r1";
    /** Certificates start a little in the past, so that nodes whose clocks are slightly behind accept them. */
    private static final Duration BACKDATING = Duration.ofMinutes(5);
    /** openssl's serials are 20 random bytes (159 bits, so that the INTEGER stays positive). */
    private static final int SERIAL_BITS = 159;
    private static final String CA_ORGANIZATION = "stapfarm cluster CA";
    private static final String PRIVATE_ORGANIZATION = "stapfarm private CA";
    private static final String NODE_ORGANIZATION = "stapfarm node";
    /** A host name as RFC 1123 allows it: dot-separated labels of letters, digits and inner hyphens. */
    private static final Pattern HOST_NAME =
            Pattern.compile("(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    + "(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate certificate;
    private final PrivateKey privateKey;

    private ClusterAuthority(X509Certificate certificate, PrivateKey privateKey) {
        this.certificate = certificate;
        this.privateKey = privateKey;
    }

    /**
     * A new CA with a new key: a self-signed certificate with subject {@code CN=name,O=stapfarm cluster CA},
     * basicConstraints CA:TRUE with path length 0 (it issues node certificates only) and keyUsage
     * keyCertSign and cRLSign, both critical, valid from five minutes before {@code now} for {@code validity}.
     */
    public static ClusterAuthority create(String name, Duration validity, Instant now) {
        return create(name, CA_ORGANIZATION, validity, now);
    }

    /**
     * A CA for one node alone, as {@link #create} makes one but with {@code O=stapfarm private CA}, so that
     * its certificates can be told from a cluster's ({@link #isPrivate}).
     */
    static ClusterAuthority createPrivate(String name, Duration validity, Instant now) {
        return create(name, PRIVATE_ORGANIZATION, validity, now);
    }

    /** Whether {@code authority} was made by {@link #createPrivate}: a CA nobody holds the key of. */
    static boolean isPrivate(X509Certificate authority) {
        RDN[] organizations = X500Name.getInstance(authority.getSubjectX500Principal().getEncoded()).getRDNs(BCStyle.O);
        return organizations.length == 1 && organizations[0].getFirst().getValue() instanceof ASN1String text
                && PRIVATE_ORGANIZATION.equals(text.getString());
    }

    private static ClusterAuthority create(String name, String organization, Duration validity, Instant now) {
        if (name.isBlank()) {
            throw new IllegalArgumentException("the CA needs a name");
        }
        requirePositive(validity);
        KeyPair keyPair = newKeyPair();
        X500Name subject = name(name, organization);
        X509Certificate certificate = certificate(subject, subject, keyPair.getPublic(), now, now.plus(validity),
                keyPair.getPrivate(), (builder, utilities) -> {
                    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
                    builder.addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
                });
        return new ClusterAuthority(certificate, keyPair.getPrivate());
    }

    /** Whether {@code directory} holds any file of a CA, complete or not. */
    public static boolean anyFileIn(Path directory) {
        return !CredentialFiles.present(directory, List.of(KEY_STORE, CERTIFICATE_FILE, PASSWORD_FILE)).isEmpty();
    }

    /**
     * The CA saved in {@code directory}: {@code ca.p12} opened with {@code password}; {@code ca.crt} is not
     * read. Both must be ours and private to us, the directory not writable by others.
     */
    public static ClusterAuthority load(Path directory) throws IOException, ClusterCredentialsException {
        if (!Files.isDirectory(directory)) {
            throw new ClusterCredentialsException("there is no cluster CA directory " + directory
                    + " (stapfarm-cluster create-ca makes one)");
        }
        Path dir = CredentialFiles.checkedDirectory(directory);
        if (CredentialFiles.present(dir, List.of(KEY_STORE, PASSWORD_FILE)).size() < 2) {
            throw new ClusterCredentialsException(dir + " is no cluster CA directory: it needs both " + KEY_STORE
                    + " and " + PASSWORD_FILE + " (stapfarm-cluster create-ca makes them)");
        }
        String password = CredentialFiles.readPassword(dir.resolve(PASSWORD_FILE));
        Path storeFile = dir.resolve(KEY_STORE);
        KeyStore store = CredentialFiles.load(storeFile, password);
        KeyStore.PrivateKeyEntry entry = CredentialFiles.keyEntry(store, ALIAS, password, storeFile);
        X509Certificate certificate = (X509Certificate) entry.getCertificate();
        if (certificate.getBasicConstraints() < 0) {
            throw new ClusterCredentialsException("the certificate '" + ALIAS + "' in " + storeFile
                    + " is not a CA certificate (basicConstraints CA:TRUE is missing)");
        }
        return new ClusterAuthority(certificate, entry.getPrivateKey());
    }

    /**
     * Writes this CA into {@code directory}, created 0700 when missing; all files appear together. Refuses a
     * directory that already holds a CA, even in part: replacing a CA locks out every node it issued.
     */
    public void saveTo(Path directory) throws IOException, ClusterCredentialsException {
        Path dir = CredentialFiles.prepareDirectory(directory);
        if (anyFileIn(dir)) {
            throw new ClusterCredentialsException(dir + " already holds a cluster CA; refusing to replace it, since"
                    + " the nodes it issued certificates to would no longer be trusted");
        }
        String password = CredentialFiles.newPassword();
        KeyStore store = CredentialFiles.newStore();
        try {
            store.setKeyEntry(ALIAS, privateKey, password.toCharArray(), new Certificate[] {certificate});
        } catch (GeneralSecurityException e) {
            // An in-memory PKCS#12 store takes any key with its certificate.
            throw new IllegalStateException("cannot put the CA key into a key store", e);
        }
        KeyFiles.writeTogether(dir, List.of(
                CredentialFiles.storeFile(KEY_STORE, store, password),
                new KeyFiles.NewFile(CERTIFICATE_FILE, KeyFiles.pem("CERTIFICATE", Certificates.encode(certificate)),
                        FilePermissions.PUBLIC_FILE),
                CredentialFiles.passwordFile(PASSWORD_FILE, password)));
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * A new key and a certificate for a node reached at {@code hostNames}: subject
     * {@code CN=<first host>,O=stapfarm node}; a subjectAltName per host (iPAddress for an IPv4 or IPv6
     * literal, else dNSName); keyUsage digitalSignature and keyAgreement and extendedKeyUsage serverAuth
     * and clientAuth (a node is both ends of mutual TLS); basicConstraints CA:FALSE; the subject's and this
     * CA's key identifiers; SHA256withECDSA. Valid from five minutes before {@code now} for {@code validity},
     * but never beyond this CA's own end.
     *
     * @throws IllegalArgumentException when there is no host, a host is neither an IP address nor a host
     *                                  name, the validity is not positive, or this CA is not valid at {@code now}
     */
    public NodeIdentity issue(List<String> hostNames, Duration validity, Instant now) {
        requirePositive(validity);
        if (hostNames.isEmpty()) {
            throw new IllegalArgumentException("a node certificate needs at least one host name or address");
        }
        Instant caEnd = certificate.getNotAfter().toInstant();
        if (now.isBefore(certificate.getNotBefore().toInstant()) || now.isAfter(caEnd)) {
            throw new IllegalArgumentException("the cluster CA is valid only from "
                    + certificate.getNotBefore().toInstant() + " to " + caEnd + ", not now (" + now + ")");
        }
        Set<String> hosts = new LinkedHashSet<>(hostNames);
        GeneralName[] altNames = hosts.stream().map(ClusterAuthority::subjectAltName).toArray(GeneralName[]::new);
        KeyPair keyPair = newKeyPair();
        Instant end = now.plus(validity).isAfter(caEnd) ? caEnd : now.plus(validity);
        X509Certificate issued = certificate(name(hostNames.get(0), NODE_ORGANIZATION),
                X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()), keyPair.getPublic(), now, end,
                privateKey, (builder, utilities) -> {
                    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                    builder.addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
                    builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                            new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
                    builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(altNames));
                    builder.addExtension(Extension.authorityKeyIdentifier, false,
                            utilities.createAuthorityKeyIdentifier(certificate.getPublicKey()));
                });
        return new NodeIdentity(keyPair.getPrivate(), issued, certificate);
    }

    @Override
    public String toString() {
        return "ClusterAuthority[" + certificate.getSubjectX500Principal().getName() + "]";
    }

    private static GeneralName subjectAltName(String host) {
        if (IPAddress.isValid(host)) {
            return new GeneralName(GeneralName.iPAddress, host);
        }
        if (HOST_NAME.matcher(host).matches()) {
            return new GeneralName(GeneralName.dNSName, host);
        }
        throw new IllegalArgumentException("'" + host + "' is neither an IP address nor a host name");
    }

    private static void requirePositive(Duration validity) {
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("validity must be positive: " + validity);
        }
    }

    /** {@code CN=commonName,O=organization} as RFC 4514 writes it, so O comes first in the encoding. */
    private static X500Name name(String commonName, String organization) {
        return new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, organization)
                .addRDN(BCStyle.CN, commonName)
                .build();
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec(CURVE), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            // The JDK's SunEC provider has P-256 on every supported platform.
            throw new IllegalStateException("cannot generate an EC P-256 key", e);
        }
    }

    /** The extensions that tell a CA from a node certificate. */
    private interface Extensions {
        void addTo(JcaX509v3CertificateBuilder builder, JcaX509ExtensionUtils utilities)
                throws GeneralSecurityException, CertIOException;
    }

    /**
     * A certificate for {@code publicKey} signed with {@code issuerKey}: a random serial, valid from a little
     * before {@code now} until {@code end}, with {@code extensions} and the subject key identifier.
     */
    private static X509Certificate certificate(X500Name subject, X500Name issuer, PublicKey publicKey, Instant now,
                                               Instant end, PrivateKey issuerKey, Extensions extensions) {
        // X.509 times have whole seconds; truncating keeps the in-memory and encoded values equal.
        Instant notBefore = now.minus(BACKDATING).truncatedTo(ChronoUnit.SECONDS);
        Instant notAfter = end.truncatedTo(ChronoUnit.SECONDS);
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
                new BigInteger(SERIAL_BITS, RANDOM), Date.from(notBefore), Date.from(notAfter), subject, publicKey);
        try {
            JcaX509ExtensionUtils utilities = new JcaX509ExtensionUtils();
            extensions.addTo(builder, utilities);
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    utilities.createSubjectKeyIdentifier(publicKey));
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(CredentialFiles.SIGNATURE_ALGORITHM).build(issuerKey)));
        } catch (GeneralSecurityException | OperatorCreationException e) {
            // SHA-1 (the key identifiers) and SHA256withECDSA are in every JDK, and the key was made or checked
            // to be EC.
            throw new IllegalStateException("cannot make a certificate", e);
        } catch (CertIOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
