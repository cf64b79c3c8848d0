package org.stapfarm.security;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The `.sgn` file that `staprun` checks (protocol spec 4.5), checked the way the stock tools check it. */
class ModuleSignatureTest {

    private static final byte[] MODULE = "\u007fELF a kernel module\n".getBytes(StandardCharsets.ISO_8859_1);

    @TempDir
    Path tmp;

    private final ServerIdentity identity = TestCertificates.identity();

    @Test
    void isARawPkcs1SignatureOfTheWholeFileWithTheServerKey() throws Exception {
        byte[] sgn = identity.moduleSignature(MODULE);

        // No wrapper: exactly as long as the modulus (2048 bits here, 4096 for generated identities).
        assertEquals(256, sgn.length);
        Signature verifier = Signature.getInstance("SHA256withRSA");
        verifier.initVerify(identity.certificate());
        verifier.update(MODULE);
        assertTrue(verifier.verify(sgn));
    }

    @Test
    void opensslVerifiesItAgainstTheServerCertificate() throws Exception {
        assumeTrue(Command.available("openssl"), "openssl is not installed");
        Path module = Files.write(tmp.resolve("stap_x.ko"), MODULE);
        Path sgn = Files.write(tmp.resolve("stap_x.ko.sgn"), identity.moduleSignature(MODULE));
        Path certificate = Files.write(tmp.resolve("stap.cert"), Certificates.encode(identity.certificate()));
        Path publicKey = tmp.resolve("stap.pub");
        assertEquals(0, Command.run("openssl", "x509", "-inform", "DER", "-in", certificate.toString(), "-noout",
                "-pubkey", "-out", publicKey.toString()).exitCode());

        Command verified = Command.run("openssl", "dgst", "-sha256", "-verify", publicKey.toString(), "-signature",
                sgn.toString(), module.toString());
        assertEquals(0, verified.exitCode(), verified.output());
        assertEquals("Verified OK", verified.output().strip());

        // The digest algorithm is named inside the signature (DigestInfo), which is how staprun 4.8 finds it.
        Command recovered = Command.run("openssl", "pkeyutl", "-verifyrecover", "-pubin", "-inkey", publicKey.toString(),
                "-in", sgn.toString(), "-asn1parse");
        assertTrue(recovered.output().contains("sha256"), recovered.output());

        Files.write(module, "another module".getBytes(StandardCharsets.US_ASCII));
        Command changed = Command.run("openssl", "dgst", "-sha256", "-verify", publicKey.toString(), "-signature",
                sgn.toString(), module.toString());
        assertFalse(changed.exitCode() == 0, changed.output());
    }
}
