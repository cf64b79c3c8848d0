package org.stapfarm.security;

import org.junit.jupiter.api.Test;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CertificatesTest {

    @Test
    void certinfoOfTheReferenceCertificateIsWhatItsServerAdvertised() throws CertificateException {
        // stap.cert.txt: "Serial Number: 3424260398 (0xcc1a112e)"; DNS-SD TXT: certinfo=00:cc:1a:11:2e
        assertEquals("00:cc:1a:11:2e", Certificates.certinfo(TestCertificates.reference()));
    }

    @Test
    void sha1FingerprintMatchesOpenssl() throws CertificateException {
        // stap.cert.txt: "sha1 Fingerprint=D9:6E:E2:59:3A:27:02:A6:12:EB:34:66:6A:2A:00:62:26:3A:3C:B4"
        String expected = "d9:6e:e2:59:3a:27:02:a6:12:eb:34:66:6a:2a:00:62:26:3a:3c:b4";
        assertEquals(expected, Certificates.sha1Fingerprint(TestCertificates.reference()));
        assertEquals(expected, Certificates.sha1Fingerprint(TestCertificates.referenceDer()));
    }

    @Test
    void sha256FingerprintMatchesOpenssl() throws CertificateException {
        // openssl x509 -inform DER -in reference-stap.cert.der -noout -fingerprint -sha256
        assertEquals("b7:41:6b:db:87:88:22:bd:b4:09:87:ea:eb:04:34:3f:2f:69:1a:e3:5b:cf:ff:3b:33:65:84:77:38:d6:33:c4",
                Certificates.sha256Fingerprint(TestCertificates.reference()));
    }

    @Test
    void decodeAndEncodeRoundTrip() throws CertificateException {
        byte[] der = TestCertificates.referenceDer();
        X509Certificate certificate = Certificates.decode(der);
        assertArrayEquals(der, Certificates.encode(certificate));
    }

    @Test
    void decodeRejectsGarbage() {
        assertThrows(CertificateException.class, () -> Certificates.decode(new byte[] {0x30, 0x03, 0x02, 0x01}));
    }

    @Test
    void hexPairsAreLowercaseAndColonSeparated() {
        assertEquals("", Certificates.hexPairs(new byte[0]));
        assertEquals("0a", Certificates.hexPairs(new byte[] {0x0a}));
        assertEquals("00:ff:7f", Certificates.hexPairs(new byte[] {0, (byte) 0xff, 0x7f}));
    }
}
