package org.stapfarm.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stapfarm.protocol.TestZips.bytes;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The client's reading of responses (management-tools section 2.8, protocol section 3). */
class ResponseCodecDecodeTest {

    private static final ResponseCodec CODEC = new ResponseCodec();
    private static final ProtocolVersion SERVER = ProtocolVersion.parse("4.8");

    @Test
    void ourOwnResponseReadsBack() throws Exception {
        CompileResult sent = new CompileResult(0, bytes("stap_abc.ko\n"), bytes("Pass 4: compiled\n"), List.of(
                new ResultFile("stap_abc.ko", bytes("MODULE")),
                new ResultFile("stap_abc.ko.sgn", bytes("SIGNATURE")),
                new ResultFile("uprobes/uprobes.ko", bytes("UPROBES"))),
                bytes("DER"));

        ServerResponse response = CODEC.decode(CODEC.encode(SERVER, sent));

        assertEquals(SERVER, response.serverVersion());
        CompileResult result = response.result();
        assertEquals(0, result.rc());
        assertArrayEquals(sent.stdout(), result.stdout());
        assertArrayEquals(sent.stderr(), result.stderr());
        assertArrayEquals(sent.signingKey(), result.signingKey());
        assertEquals(List.of("stap_abc.ko", "stap_abc.ko.sgn", "uprobes/uprobes.ko"),
                result.moduleDirectory().stream().map(ResultFile::path).toList());
        assertArrayEquals(bytes("MODULE"), result.moduleDirectory().get(0).content());
    }

    /** What the reference server (Info-ZIP zip) sent in the captured exchanges. */
    @Test
    void referenceServerResponsesAreAccepted() throws Exception {
        ServerResponse p2 = CODEC.decode(Vectors.read("01-p2-inline-script", "response.zip"));
        assertEquals(0, p2.result().rc());
        assertArrayEquals(Vectors.read("01-p2-inline-script", "response/stdout"), p2.result().stdout());

        ServerResponse p4 = CODEC.decode(Vectors.read("12-jsse-server-module-response", "response.zip"));
        assertTrue(p4.result().moduleDirectory().stream().anyMatch(file -> file.path().endsWith(".ko")));
        assertNull(p4.result().signingKey());
    }

    /** The reference server's answer for an unsupported release holds `version` alone (protocol 4.9). */
    @Test
    void aResponseWithoutRcIsRefused() {
        ResponseRejectedException e = assertThrows(ResponseRejectedException.class,
                () -> CODEC.decode(Vectors.read("05-unsupported-kernel-release", "response.zip")));
        assertTrue(e.getMessage().startsWith("the response has no rc file"), e.getMessage());
    }

    @Test
    void unexpectedOrUnsafeContentIsRefused() {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("../escape", "unsafe name");
        cases.put("stap000000/../../escape", "unsafe name");
        cases.put(".bashrc", "unexpected entry '.bashrc'");
        cases.put("stap111111/x.ko", "more than one module directory");
        cases.put("stap123456", "is not a directory");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Map<String, byte[]> entries = validEntries();
            entries.put("stap000000/x.ko", bytes("x"));
            entries.put(c.getKey(), bytes("x"));
            ResponseRejectedException e = assertThrows(ResponseRejectedException.class,
                    () -> CODEC.decode(TestZips.zip(entries)), c.getKey());
            assertTrue(e.getMessage().contains(c.getValue()), c.getKey() + ": " + e.getMessage());
        }
    }

    @Test
    void rcAndVersionMustBeNumbers() {
        Map<String, byte[]> badRc = validEntries();
        badRc.put("rc", bytes("zero"));
        assertThrows(ResponseRejectedException.class, () -> CODEC.decode(TestZips.zip(badRc)));
        Map<String, byte[]> badVersion = validEntries();
        badVersion.put("version", bytes("5.0a"));
        assertThrows(ResponseRejectedException.class, () -> CODEC.decode(TestZips.zip(badVersion)));
    }

    @Test
    void aServerWithoutVersionIsLegacy() throws Exception {
        Map<String, byte[]> entries = validEntries();
        entries.remove("version");
        assertEquals(ProtocolVersion.LEGACY, CODEC.decode(TestZips.zip(entries)).serverVersion());
    }

    @Test
    void messagesNameTheResponseAndTheClientsLimit() {
        ResponseRejectedException e = assertThrows(ResponseRejectedException.class, () -> CODEC.decode(new byte[10]));
        assertTrue(e.getMessage().startsWith("the response is not a valid zip archive"), e.getMessage());
    }

    private static Map<String, byte[]> validEntries() {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("version", bytes("4.8"));
        entries.put("rc", bytes("0"));
        entries.put("stdout", bytes(""));
        entries.put("stderr", bytes(""));
        return entries;
    }
}
