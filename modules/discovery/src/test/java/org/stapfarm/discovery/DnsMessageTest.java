package org.stapfarm.discovery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class DnsMessageTest {

    private static final DnsName INSTANCE = DnsSdBrowser.SERVICE_TYPE.prepend("Systemtap Compile Server on vm");

    @Test
    void aQueryForTheServiceType() {
        byte[] query = DnsMessage.query(0, List.of(new DnsMessage.Question(DnsSdBrowser.SERVICE_TYPE,
                DnsMessage.TYPE_PTR)));
        assertEquals("000000000001000000000000" + "055f73746170045f746370056c6f63616c00" + "000c0001",
                HexFormat.of().formatHex(query));
    }

    @Test
    void namesMayHoldDotsAndAreComparedWithoutCase() {
        DnsName dotted = DnsSdBrowser.SERVICE_TYPE.prepend("Server on vm.example");
        byte[] query = DnsMessage.query(7, List.of(new DnsMessage.Question(dotted, DnsMessage.TYPE_SRV)));
        assertEquals(20, query[12]);
        assertEquals(DnsName.of("_STAP", "_tcp", "Local"), DnsSdBrowser.SERVICE_TYPE);
        assertEquals(DnsName.of("_STAP", "_tcp", "Local").hashCode(), DnsSdBrowser.SERVICE_TYPE.hashCode());
        assertEquals(DnsSdBrowser.SERVICE_TYPE, dotted.parent());
        assertThrows(IllegalArgumentException.class, () -> DnsMessage.query(0, List.of(
                new DnsMessage.Question(DnsName.of("x".repeat(64), "local"), DnsMessage.TYPE_A))));
    }

    /** A real answer of avahi to a one-shot query, with compressed names (test resource). */
    @Test
    void readsAvahisAnswer() throws IOException {
        byte[] message = avahiAnswer();
        List<DnsMessage.Record> records = DnsMessage.records(message, message.length);
        assertTrue(records.contains(new DnsMessage.Pointer(DnsSdBrowser.SERVICE_TYPE, 10, INSTANCE)), records.toString());
        DnsMessage.Service service = only(records, DnsMessage.Service.class);
        assertEquals(INSTANCE, service.name());
        assertEquals(36002, service.port());
        assertEquals(DnsName.of("vm", "local"), service.target());
        DnsMessage.Text text = only(records, DnsMessage.Text.class);
        assertArrayEquals(StapTxtRecordTest.txt("sysinfo=6.1.0-47-amd64 x86_64", "optinfo=-DFOO=1", "version=4.8",
                "certinfo=00:cc:1a:11:2e", "mok_info=af:cb:4d:d8:83:c7:39:43:d4:bb:b7:98:04:5c:75:e1:b1:2d:7e:05"),
                text.text(), "avahi keeps the publisher's order");
        assertTrue(records.contains(new DnsMessage.Address(DnsName.of("vm", "local"), 10,
                InetAddress.getByName("127.0.0.1"))), records.toString());
        assertTrue(records.contains(new DnsMessage.Address(DnsName.of("vm", "local"), 10,
                InetAddress.getByName("::1"))), "avahi answers with the IPv6 loopback too: " + records);
    }

    @Test
    void queriesAndFailedAnswersHoldNothing() throws IOException {
        byte[] message = avahiAnswer();
        message[2] &= 0x7f;
        assertEquals(List.of(), DnsMessage.records(message, message.length));
        message = avahiAnswer();
        message[3] |= 0x03;
        assertEquals(List.of(), DnsMessage.records(message, message.length));
    }

    @Test
    void refusesMalformedMessages() throws IOException {
        byte[] message = avahiAnswer();
        assertThrows(IllegalArgumentException.class, () -> DnsMessage.records(message, message.length - 1));
        assertThrows(IllegalArgumentException.class, () -> DnsMessage.records(message, 11));
        byte[] loop = HexFormat.of().parseHex("000084000000000100000000" + "c00c" + "000c0001000000780002c00c");
        assertThrows(IllegalArgumentException.class, () -> DnsMessage.records(loop, loop.length));
        byte[] badLabel = HexFormat.of().parseHex("000084000000000100000000" + "4100" + "000c000100000078000100");
        assertThrows(IllegalArgumentException.class, () -> DnsMessage.records(badLabel, badLabel.length));
        byte[] shortAddress = HexFormat.of().parseHex("000084000000000100000000" + "00" + "00010001000000780003010203");
        assertThrows(IllegalArgumentException.class, () -> DnsMessage.records(shortAddress, shortAddress.length));
    }

    @Test
    void skipsOtherRecordTypesAndClasses() {
        byte[] message = HexFormat.of().parseHex("000084000000000200000000"
                + "00" + "000d0001000000780002" + "0000"            // HINFO
                + "00" + "00010003000000780004" + "7f000001");      // A in class CH
        assertEquals(List.of(), DnsMessage.records(message, message.length));
    }

    static byte[] avahiAnswer() throws IOException {
        try (InputStream in = DnsMessageTest.class.getResourceAsStream("/avahi-ptr-response.txt")) {
            String text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            String hex = text.lines().filter(line -> !line.startsWith("#")).findFirst().orElseThrow().strip();
            return HexFormat.of().parseHex(hex);
        }
    }

    private static <T extends DnsMessage.Record> T only(List<DnsMessage.Record> records, Class<T> type) {
        List<T> matching = records.stream().filter(type::isInstance).map(type::cast).toList();
        assertEquals(1, matching.size(), records.toString());
        return matching.get(0);
    }
}
