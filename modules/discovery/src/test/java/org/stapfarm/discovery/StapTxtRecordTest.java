package org.stapfarm.discovery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StapTxtRecordTest {

    private static final String MOK = "af:cb:4d:d8:83:c7:39:43:d4:bb:b7:98:04:5c:75:e1:b1:2d:7e:05";

    /** Length-prefixed strings, as a TXT record carries them. */
    static byte[] txt(String... strings) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String string : strings) {
            byte[] bytes = string.getBytes(StandardCharsets.UTF_8);
            out.write(bytes.length);
            out.writeBytes(bytes);
        }
        return out.toByteArray();
    }

    /** The wire order of the reference server (protocol section 5.2, vector 11), mok_info last. */
    @Test
    void encodesInTheReferenceServersOrder() {
        StapTxtRecord record = new StapTxtRecord("6.1.0-47-amd64 x86_64", "-DFOO=1", "4.8", "00:cc:1a:11:2e",
                List.of(MOK, "11:22"));
        assertArrayEquals(txt("sysinfo=6.1.0-47-amd64 x86_64", "optinfo=-DFOO=1", "version=4.8",
                "certinfo=00:cc:1a:11:2e", "mok_info=" + MOK, "mok_info=11:22"), record.encode());
    }

    @Test
    void anEmptyOptinfoIsStillAdvertised() {
        assertArrayEquals(txt("sysinfo=6.1.0-47-amd64 x86_64", "optinfo=", "version=4.8", "certinfo=00:cc:1a:11:2e"),
                new StapTxtRecord("6.1.0-47-amd64 x86_64", "", "4.8", "00:cc:1a:11:2e", List.of()).encode());
    }

    /** A TXT string holds 255 bytes; avahi cut the reference server's longer optinfo, at a character here. */
    @Test
    void aLongOptinfoIsCutToOneTxtString() {
        StringBuilder options = new StringBuilder();
        while (options.length() < 300) {
            options.append("-Dé=1 ");
        }
        byte[] encoded = new StapTxtRecord("r x86_64", options.toString(), "4.8", "", List.of()).encode();
        int second = 1 + (encoded[0] & 0xff);
        int length = encoded[second] & 0xff;
        String optinfo = new String(encoded, second + 1, length, StandardCharsets.UTF_8);
        assertEquals(true, length <= 255 && length >= 253, "length " + length);
        assertEquals(true, ("optinfo=" + options).startsWith(optinfo));
        assertEquals("version=4.8", new String(encoded, second + 2 + length, encoded[second + 1 + length],
                StandardCharsets.UTF_8));
    }

    @Test
    void decodesWhatItEncodes() {
        StapTxtRecord record = new StapTxtRecord("6.1.0-47-amd64 x86_64", "-DFOO=1 -I/tapsets", "5.4",
                "00:aa:bb:cc:dd", List.of(MOK));
        assertEquals(record, StapTxtRecord.decode(record.encode()));
    }

    /** Third-party publication A of vector 11: mok_info first, keys in another order. */
    @Test
    void decodesAnyOrderAndKeepsEveryMok() {
        StapTxtRecord record = StapTxtRecord.decode(txt("mok_info=11:22:33", "sysinfo=6.1.0-47-amd64 x86_64",
                "VERSION=5.4", "certinfo=00:aa:bb:cc:dd", "optinfo=", "mok_info=44:55", "version=9.9", "flag"));
        assertEquals(new StapTxtRecord("6.1.0-47-amd64 x86_64", "", "5.4", "00:aa:bb:cc:dd",
                List.of("11:22:33", "44:55")), record);
    }

    /** Publication C of vector 11: no version, arch-only sysinfo. */
    @Test
    void missingKeysAreEmpty() {
        assertEquals(new StapTxtRecord("x86_64", "", "", "00:aa:bb:cc:ff", List.of()),
                StapTxtRecord.decode(txt("sysinfo=x86_64", "certinfo=00:aa:bb:cc:ff")));
    }

    @Test
    void refusesRecordsItCannotUse() {
        assertThrows(IllegalArgumentException.class, () -> StapTxtRecord.decode(txt("version=4.8")));
        byte[] overrun = txt("sysinfo=6.1.0-47-amd64 x86_64");
        overrun[0]++;
        assertThrows(IllegalArgumentException.class, () -> StapTxtRecord.decode(overrun));
        List<String> long256 = new ArrayList<>(List.of("x".repeat(300)));
        assertThrows(IllegalArgumentException.class,
                () -> new StapTxtRecord("r x86_64", "", "4.8", "", long256).encode());
    }
}
