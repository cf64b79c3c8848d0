package org.stapfarm.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NssDatabaseTest {

    /** certutil 3.87's description of a certificate, shortened to the lines that matter. */
    private static final String DESCRIPTION = """
            Certificate:
                Data:
                    Subject: "CN=Systemtap Compile Server,OU=Systemtap"
                Fingerprint (SHA-256):
                    3A:4A:3F:56:D2:6F:FA:DC:7F:43:9E:3C:D9:87:FF:33:AC:90:AD:C3:CB:AD:98:51:70:60:59:79:CE:8A:7D:F1
                Fingerprint (SHA1):
                    A2:C1:CA:71:F5:39:D8:03:38:38:F6:44:85:71:A6:47:8B:D4:77:74

                Mozilla-CA-Policy: false (attribute missing)
                Certificate Trust Flags:
                    SSL Flags:
                        Terminal Record
                        Trusted
                    Email Flags:
                        Terminal Record
                        Trusted
                    Object Signing Flags:
                        Terminal Record

            Certificate:
                Fingerprint (SHA-256):
                    00:11
                Certificate Trust Flags:
                    SSL Flags:
                        Valid CA
                        Trusted CA
                    Email Flags:
            """;

    @TempDir
    Path tmp;

    @Test
    void trustIsReadPerCertificate() {
        Map<String, Set<String>> trust = NssDatabase.sslTrustByFingerprint(DESCRIPTION);
        assertEquals(Set.of("Terminal Record", "Trusted"), trust.get(
                "3a:4a:3f:56:d2:6f:fa:dc:7f:43:9e:3c:d9:87:ff:33:ac:90:ad:c3:cb:ad:98:51:70:60:59:79:ce:8a:7d:f1"));
        assertEquals(Set.of("Valid CA", "Trusted CA"), trust.get("00:11"));
    }

    /** Upstream's way: every server under the one nickname `stap-server`; both are still read. */
    @Test
    void certificatesSharingANicknameAreAllRead() throws Exception {
        assumeTrue(Command.available("certutil"), "certutil is not installed");
        NssDatabase database = new NssDatabase(tmp);
        assertFalse(database.exists());
        database.create();
        assertTrue(database.exists());
        database.add(TestCertificates.identity().certificate(), "stap-server", "P,P,P");
        database.add(TestCertificates.otherIdentity().certificate(), "stap-server", ",,");

        List<NssDatabase.Entry> entries = database.entries();
        assertEquals(2, entries.size());
        NssDatabase.Entry first = entries.stream()
                .filter(e -> e.certificate().equals(TestCertificates.identity().certificate())).findFirst().orElseThrow();
        NssDatabase.Entry second = entries.stream()
                .filter(e -> e.certificate().equals(TestCertificates.otherIdentity().certificate())).findFirst().orElseThrow();
        assertTrue(first.trustedPeer());
        assertFalse(second.trustedPeer(), "the untrusted one stays untrusted although it shares the nickname");
    }
}
