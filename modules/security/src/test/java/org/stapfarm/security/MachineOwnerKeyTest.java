package org.stapfarm.security;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class MachineOwnerKeyTest {

    private static final byte[] MODULE = "\u007fELF a kernel module\n".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] MAGIC = "~Module signature appended~\n".getBytes(StandardCharsets.US_ASCII);

    private static MachineOwnerKey key;

    @TempDir
    Path tmp;

    /** One 2048-bit key for the class (generation is slow). */
    static synchronized MachineOwnerKey key() {
        if (key == null) {
            key = MachineOwnerKey.generate(2048, Instant.now());
        }
        return key;
    }

    @Test
    void certificateIsLikeUpstreams() throws Exception {
        X509Certificate certificate = key().certificate();
        assertEquals("CN=Systemtap module signing key,O=Systemtap", certificate.getSubjectX500Principal().getName());
        assertEquals(certificate.getSubjectX500Principal(), certificate.getIssuerX500Principal());
        certificate.verify(certificate.getPublicKey());
        assertEquals("SHA256withRSA", certificate.getSigAlgName());
        assertEquals(-1, certificate.getBasicConstraints());
        assertTrue(certificate.getCriticalExtensionOIDs().contains("2.5.29.19"), "basicConstraints is critical");
        assertTrue(certificate.getKeyUsage()[0], "digitalSignature");
        assertNotNull(certificate.getExtensionValue("2.5.29.14"), "subject key identifier");
        long days = ChronoUnit.DAYS.between(certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant());
        assertEquals(36_500, days);
    }

    @Test
    void fingerprintIsTheSha1OfTheCertificateInLowercaseHexPairs() {
        assertTrue(MokStore.FINGERPRINT.matcher(key().fingerprint()).matches(), key().fingerprint());
        assertEquals(59, key().fingerprint().length());
        assertEquals(Certificates.sha1Fingerprint(key().certificate()), key().fingerprint());
    }

    @Test
    void signatureIsAppendedInTheKernelsFormat() {
        byte[] signed = key().signModule(MODULE);

        assertArrayEquals(MODULE, Arrays.copyOf(signed, MODULE.length));
        assertArrayEquals(MAGIC, Arrays.copyOfRange(signed, signed.length - MAGIC.length, signed.length));
        ByteBuffer info = ByteBuffer.wrap(signed, signed.length - MAGIC.length - 12, 12);
        byte[] header = new byte[8];
        info.get(header);
        assertArrayEquals(new byte[] {0, 0, 2, 0, 0, 0, 0, 0}, header, "algo, hash, id_type PKCS#7, lengths, padding");
        int pkcs7Length = info.getInt();
        assertEquals(signed.length - MODULE.length - 12 - MAGIC.length, pkcs7Length);
        // A DER SEQUENCE with a two-byte length: the ContentInfo.
        assertEquals(0x30, signed[MODULE.length] & 0xff);
    }

    @Test
    void opensslVerifiesTheAppendedSignatureWithTheCertificate() throws Exception {
        assumeTrue(Command.available("openssl"), "openssl is not installed");
        byte[] signed = key().signModule(MODULE);
        int pkcs7Length = ByteBuffer.wrap(signed, signed.length - MAGIC.length - 4, 4).getInt();
        Path pkcs7 = Files.write(tmp.resolve("module.p7s"),
                Arrays.copyOfRange(signed, MODULE.length, MODULE.length + pkcs7Length));
        Path content = Files.write(tmp.resolve("module.ko"), MODULE);
        Path certificate = Files.write(tmp.resolve("signing_key.pem"), pem(key().certificate()));

        Command verified = Command.run("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", pkcs7.toString(),
                "-content", content.toString(), "-certfile", certificate.toString(), "-nointern", "-noverify",
                "-out", "/dev/null");
        assertEquals(0, verified.exitCode(), verified.output());
        Command printed = Command.run("openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", pkcs7.toString());
        assertTrue(printed.output().contains("sha512"), printed.output());
        assertTrue(printed.output().matches("(?s).*signedAttrs:\\s+<ABSENT>.*"), printed.output());
    }

    /**
     * What upstream does: `scripts/sign-file sha512 signing_key.priv signing_key.x509 MODULE` from a kernel
     * build tree. PKCS#1 v1.5 signatures are deterministic, so the output must be the same bytes.
     */
    @Test
    void sameBytesAsTheKernelsSignFile() throws Exception {
        Path signFile = signFile();
        assumeTrue(signFile != null, "no kernel build tree with scripts/sign-file");
        MokStore store = MokStore.in(tmp);
        store.store(key());
        Path keyDirectory = store.directory().resolve(key().fingerprint());
        Path module = Files.write(tmp.resolve("stap_x.ko"), MODULE);

        Command signed = Command.run(signFile.toString(), "sha512", keyDirectory.resolve(MokStore.KEY_FILE).toString(),
                keyDirectory.resolve(MokStore.CERTIFICATE_FILE).toString(), module.toString());
        assertEquals(0, signed.exitCode(), signed.output());

        byte[] expected = Files.readAllBytes(module);
        byte[] actual = key().signModule(MODULE);
        assertEquals(HexFormat.of().formatHex(expected), HexFormat.of().formatHex(actual));
    }

    private static Path signFile() throws Exception {
        Path modules = Path.of("/lib/modules");
        if (!Files.isDirectory(modules)) {
            return null;
        }
        try (DirectoryStream<Path> releases = Files.newDirectoryStream(modules)) {
            for (Path release : releases) {
                Path candidate = release.resolve("build/scripts/sign-file");
                if (Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        return null;
    }

    private static byte[] pem(X509Certificate certificate) {
        String base64 = java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(Certificates.encode(certificate));
        return ("-----BEGIN CERTIFICATE-----\n" + base64 + "\n-----END CERTIFICATE-----\n")
                .getBytes(StandardCharsets.US_ASCII);
    }
}
