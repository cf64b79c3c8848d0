package org.stapfarm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.stapfarm.config.ServerOptionsParser.InvalidOptionsException;

class ServerOptionsParserTest {

    @Test
    void readsEveryDaemonOptionInBothSpellings() throws Exception {
        ServerOptions options = ServerOptionsParser.parse(List.of(
                "--port", "30500", "-r", "6.1.0-1-amd64", "-r/usr/src/tree", "--max-threads=4",
                "--log=/tmp/x.log", "--ssl", "/tmp/ssl", "--max-request-size", "0x100",
                "--max-compressed-request=010", "-I", "/srv/tapsets", "-R/srv/runtime", "-B", "V=1",
                "-DMAXACTION=500", "-a", "x86_64", "-k", "-P"));
        assertEquals(30500, options.port());
        assertEquals(List.of("6.1.0-1-amd64", "/usr/src/tree"), options.releases());
        assertEquals(4, options.maxThreads());
        assertEquals(Path.of("/tmp/x.log"), options.logFile());
        assertEquals(Path.of("/tmp/ssl"), options.sslDirectory());
        assertEquals(256, options.maxRequestSize());
        assertEquals(8, options.maxCompressedRequest());
        assertTrue(options.keepTemporaries());
        assertTrue(options.usePassword());
        assertEquals(List.of("-ax86_64", "-BV=1", "-DMAXACTION=500", "-I/srv/tapsets", "-R/srv/runtime"),
                options.translatorOptions());
        assertEquals("-R/srv/runtime -BV=1 -DMAXACTION=500 -I/srv/tapsets", options.optinfo());
    }

    @Test
    void describesTheServerThatDaemonArgumentsStart() throws Exception {
        ServerSpec spec = new ServerSpec("s390", List.of("6.1", "/usr/src/tree"), List.of("/i1", "/i2"),
                List.of("A=1"), List.of("-j4"), "/rt", "", "", "/log", "30202", "/ssl", "2", "0x100", "10", true,
                true);
        assertEquals(spec, ServerOptionsParser.describe(spec.daemonArguments()));
        assertEquals(new ServerSpec("", List.of("6.1"), List.of(), List.of(), List.of(), "", "", "", "/l", "1", "",
                        "", "", "", false, false),
                ServerOptionsParser.describe(List.of("-r", "6.1", "--log", "/l", "--port", "1")));
        assertThrows(InvalidOptionsException.class, () -> ServerOptionsParser.describe(List.of("--nickname=x")));
    }

    @Test
    void defaultsFollowTheHostAndLeaveTheRestUnset() throws Exception {
        ServerOptions options = ServerOptionsParser.parse(List.of());
        assertEquals(0, options.port());
        assertEquals(List.of(), options.releases());
        assertEquals(Runtime.getRuntime().availableProcessors(), options.maxThreads());
        assertEquals(ServerOptionsParser.DEFAULT_MAX_REQUEST_SIZE, options.maxRequestSize());
        assertEquals(ServerOptionsParser.DEFAULT_MAX_COMPRESSED_REQUEST, options.maxCompressedRequest());
        assertNull(options.logFile());
        assertEquals("", options.optinfo());
    }

    @Test
    void aRepeatedOptionKeepsItsLastValueAsGetoptDoes() throws Exception {
        assertEquals(2, ServerOptionsParser.parse(List.of("--port", "1", "--port=2")).port());
    }

    @Test
    void zeroThreadsStillLeavesOneTranslatorSlot() throws Exception {
        assertEquals(1, ServerOptionsParser.parse(List.of("--max-threads", "0")).translatorSlots());
    }

    @Test
    void refusesBadValuesWithTheReferenceWording() {
        assertMessage("invalid entry: port must be between 0 and 65535", "--port", "65536");
        assertMessage("invalid entry: port 'abc' is not a number", "--port", "abc");
        assertMessage("invalid entry: port '-1' is not a number", "--port=-1");
        assertMessage("invalid entry: max-threads 'x' is not a number", "--max-threads", "x");
        assertMessage("invalid entry: max-request-size must be at least 1", "--max-request-size", "0");
        assertMessage("invalid entry: max-compressed-request '-5' is out of range", "--max-compressed-request=-5");
    }

    @Test
    void refusesUnknownOptionsAndMissingValues() {
        InvalidOptionsException unknown = assertThrows(InvalidOptionsException.class,
                () -> ServerOptionsParser.parse(List.of("--bogus")));
        assertTrue(unknown.getMessage().contains("--bogus"), unknown.getMessage());
        InvalidOptionsException missing = assertThrows(InvalidOptionsException.class,
                () -> ServerOptionsParser.parse(List.of("--port")));
        assertTrue(missing.getMessage().contains("--port"), missing.getMessage());
        InvalidOptionsException stray = assertThrows(InvalidOptionsException.class,
                () -> ServerOptionsParser.parse(List.of("stray")));
        assertTrue(stray.getMessage().contains("'stray'"), stray.getMessage());
    }

    private static void assertMessage(String expected, String... arguments) {
        InvalidOptionsException e = assertThrows(InvalidOptionsException.class,
                () -> ServerOptionsParser.parse(List.of(arguments)));
        assertEquals(expected, e.getMessage());
    }
}
