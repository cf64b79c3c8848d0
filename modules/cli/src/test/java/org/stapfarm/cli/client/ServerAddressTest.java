package org.stapfarm.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.stapfarm.cli.discovery.FoundServer;
import org.stapfarm.protocol.SysInfo;

class ServerAddressTest {

    private static final SysInfo SYSINFO = new SysInfo("6.1.0-47-amd64", "x86_64");

    @Test
    void everyFormIsRead() throws ClientException {
        assertEquals(new ServerAddress("build1", OptionalInt.empty()), ServerAddress.parse("build1"));
        assertEquals(new ServerAddress("build1", OptionalInt.of(4711)), ServerAddress.parse("build1:4711"));
        assertEquals(new ServerAddress("10.0.0.1", OptionalInt.of(1)), ServerAddress.parse("10.0.0.1:1"));
        assertEquals(new ServerAddress("::1", OptionalInt.empty()), ServerAddress.parse("::1"));
        assertEquals(new ServerAddress("fe80::1", OptionalInt.empty()), ServerAddress.parse("[fe80::1]"));
        assertEquals(new ServerAddress("::1", OptionalInt.of(36001)), ServerAddress.parse("[::1]:36001"));
        assertEquals("[::1]:36001", ServerAddress.parse("[::1]:36001").toString());
    }

    @Test
    void malformedSpecsAreRefused() {
        for (String spec : new String[] {"host:", "host:x", "host:70000", "[::1", "[::1]x", "[host]:1", ":::::z", "", "a b"}) {
            assertThrows(ClientException.class, () -> ServerAddress.parse(spec), spec);
        }
    }

    /** Upstream matched text, so 10.0.0.1 selected 10.0.0.11 (management-tools 5.5 item 43). */
    @Test
    void matchingIsExact() throws ClientException {
        FoundServer eleven = new FoundServer("build11", "10.0.0.11", 1, SYSINFO);
        assertFalse(ServerAddress.parse("10.0.0.1").matches(eleven));
        assertTrue(ServerAddress.parse("10.0.0.11").matches(eleven));
        assertTrue(ServerAddress.parse("BUILD11").matches(eleven));
        assertFalse(ServerAddress.parse("build1").matches(eleven));
        FoundServer six = new FoundServer("build6", "0:0:0:0:0:0:0:1", 1, SYSINFO);
        assertTrue(ServerAddress.parse("::1").matches(six));
        assertTrue(ServerAddress.parse("[::1]").matches(six));
    }
}
