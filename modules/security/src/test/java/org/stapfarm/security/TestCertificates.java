package org.stapfarm.security;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/** Shared fixtures: the reference server's certificate and identities generated once per test run. */
final class TestCertificates {

    /** The DNS names the generated test identity carries; localhost lets NSS's tstclnt check the name. */
    static final List<String> DNS_NAMES = List.of("build1.example.com", "build1.local", "localhost");

    private static ServerIdentity identity;
    private static ServerIdentity otherIdentity;

    private TestCertificates() {
    }

    /** {@code stap.cert} as written by the reference stap-serverd 4.8 (spec vector 10). */
    static byte[] referenceDer() {
        try (InputStream in = TestCertificates.class.getResourceAsStream("/reference-stap.cert.der")) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static X509Certificate reference() throws CertificateException {
        return Certificates.decode(referenceDer());
    }

    /** A 2048-bit identity, generated on first use (key generation is slow, see dependencies.md P12). */
    static synchronized ServerIdentity identity() {
        if (identity == null) {
            identity = ServerIdentity.generate(DNS_NAMES, 2048, ServerIdentity.DEFAULT_VALIDITY, Instant.now());
        }
        return identity;
    }

    /** A second, unrelated identity. */
    static synchronized ServerIdentity otherIdentity() {
        if (otherIdentity == null) {
            otherIdentity = ServerIdentity.generate(List.of("other"), 2048, ServerIdentity.DEFAULT_VALIDITY, Instant.now());
        }
        return otherIdentity;
    }
}
