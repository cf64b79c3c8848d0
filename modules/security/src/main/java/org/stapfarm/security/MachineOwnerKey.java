package org.stapfarm.security;

import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAKeyGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.Objects;

/**
 * A machine owner key (MOK): a key that the firmware of Secure Boot machines trusts once its certificate is
 * enrolled (`mokutil --import signing_key.x509`), so that their kernels load modules signed with it
 * (protocol spec 4.6). Immutable and thread-safe.
 */
public final class MachineOwnerKey {

    /**
     * What the kernel's `sign-file` appends after the signature; the kernel looks for it at the end of a
     * module to find the signature.
     */
    private static final byte[] SIGNATURE_MAGIC = "~Module signature appended~\n".getBytes(StandardCharsets.US_ASCII);
    /** `struct module_signature.id_type` for a PKCS#7 message. */
    private static final byte PKEY_ID_PKCS7 = 2;
    private static final AlgorithmIdentifier RSA_ENCRYPTION =
            new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE);
    /** Upstream signs with `scripts/sign-file sha512` (cscommon.cxx, mok_sign_file). */
    private static final String MODULE_SIGNATURE_ALGORITHM = "SHA512withRSA";

    /** What upstream's `openssl req` configuration asks for: 4096 bits and 36500 days. */
    static final int KEY_SIZE = 4096;
    private static final Duration VALIDITY = Duration.ofDays(36_500);
    /** openssl's serials are 20 random bytes (159 bits, so that the INTEGER stays positive). */
    private static final int SERIAL_BITS = 159;
    /**
     * Subject and issuer of upstream's keys. Clients that ask for Secure Boot signing only report enrolled
     * keys whose issuer contains "Systemtap" (protocol spec 4.6 item 4).
     */
    private static final X500Name NAME = new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.O, "Systemtap")
            .addRDN(BCStyle.CN, "Systemtap module signing key")
            .build();

    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate certificate;
    private final PrivateKey privateKey;
    private final String fingerprint;

    private MachineOwnerKey(X509Certificate certificate, PrivateKey privateKey) {
        this.certificate = certificate;
        this.privateKey = privateKey;
        this.fingerprint = Certificates.sha1Fingerprint(certificate);
    }

    /**
     * @throws IllegalArgumentException when the key is not RSA or does not belong to the certificate
     */
    public static MachineOwnerKey of(X509Certificate certificate, PrivateKey privateKey) {
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(privateKey, "privateKey");
        if (!(certificate.getPublicKey() instanceof RSAPublicKey publicKey)
                || !(privateKey instanceof RSAPrivateKey rsaKey)) {
            throw new IllegalArgumentException("a machine owner key must be RSA, found "
                    + certificate.getPublicKey().getAlgorithm() + " certificate and " + privateKey.getAlgorithm()
                    + " key");
        }
        if (!rsaKey.getModulus().equals(publicKey.getModulus())) {
            throw new IllegalArgumentException("the private key does not belong to the certificate");
        }
        return new MachineOwnerKey(certificate, privateKey);
    }

    /**
     * A new key as upstream's `stap-serverd` makes one with `openssl req -x509` and its `x509.genkey`: RSA
     * 4096, subject = issuer = `O=Systemtap, CN=Systemtap module signing key`, valid for 36500 days,
     * sha256WithRSA, basicConstraints critical CA:FALSE, keyUsage digitalSignature, a subject key identifier.
     */
    public static MachineOwnerKey generate(Instant now) {
        return generate(KEY_SIZE, now);
    }

    /** {@link #generate(Instant)} with another key size; 4096-bit keys take seconds to make. */
    public static MachineOwnerKey generate(int keySize, Instant now) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(new RSAKeyGenParameterSpec(keySize, RSAKeyGenParameterSpec.F4), RANDOM);
            KeyPair keyPair = generator.generateKeyPair();
            Instant notBefore = now.truncatedTo(ChronoUnit.SECONDS);
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(NAME,
                    new BigInteger(SERIAL_BITS, RANDOM), Date.from(notBefore), Date.from(notBefore.plus(VALIDITY)),
                    NAME, keyPair.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, false, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createSubjectKeyIdentifier(keyPair.getPublic()));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keyPair.getPrivate())));
            return new MachineOwnerKey(certificate, keyPair.getPrivate());
        } catch (GeneralSecurityException | OperatorCreationException e) {
            // RSA, SHA-1 (the key identifier) and SHA256withRSA are mandatory for every Java platform.
            throw new IllegalStateException("cannot generate a machine owner key", e);
        } catch (CertIOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    PrivateKey privateKey() {
        return privateKey;
    }

    /**
     * The SHA-1 fingerprint of the certificate, as `mokutil --list-enrolled` shows it and clients send it in
     * `mok_fingerprints`: lowercase hex pairs joined by `:`.
     */
    public String fingerprint() {
        return fingerprint;
    }

    /**
     * {@code module} with a signature appended the way the kernel's `scripts/sign-file sha512 KEY X509
     * MODULE` appends it, which is what upstream runs: the module, a detached PKCS#7 (CMS) SignedData
     * without certificates or signed attributes whose signer is named by issuer and serial number, a
     * 12-byte `struct module_signature` (id_type PKCS#7, big-endian length of the PKCS#7), and
     * `~Module signature appended~\n`. RSA PKCS#1 v1.5 signatures are deterministic, so the result is the
     * same, byte for byte, as sign-file's with this key.
     */
    public byte[] signModule(byte[] module) {
        byte[] pkcs7;
        try {
            CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
            // OpenSSL names the signature algorithm rsaEncryption in the SignerInfo, Bouncy Castle would name
            // sha512WithRSAEncryption; the kernel accepts both, but the same bytes as sign-file's are easier to
            // trust.
            generator.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(
                    new JcaDigestCalculatorProviderBuilder().build(), signatureAlgorithm -> RSA_ENCRYPTION)
                    .setDirectSignature(true)
                    .build(new JcaContentSignerBuilder(MODULE_SIGNATURE_ALGORITHM).build(privateKey), certificate));
            pkcs7 = generator.generate(new CMSProcessableByteArray(module), false).getEncoded("DER");
        } catch (OperatorCreationException | GeneralSecurityException | CMSException e) {
            // SHA-512 with RSA is mandatory on every Java platform, and the key was checked to be RSA.
            throw new IllegalStateException("cannot sign a module", e);
        } catch (IOException e) {
            throw new UncheckedIOException("encoding to memory failed", e);
        }
        ByteArrayOutputStream signed = new ByteArrayOutputStream(module.length + pkcs7.length + 12
                + SIGNATURE_MAGIC.length);
        signed.writeBytes(module);
        signed.writeBytes(pkcs7);
        // struct module_signature: algo, hash, id_type, signer_len, key_id_len, three bytes padding, sig_len.
        signed.writeBytes(ByteBuffer.allocate(12).put(2, PKEY_ID_PKCS7).putInt(8, pkcs7.length).array());
        signed.writeBytes(SIGNATURE_MAGIC);
        return signed.toByteArray();
    }

    @Override
    public String toString() {
        return "MachineOwnerKey[" + fingerprint + "]";
    }
}
