package org.stapfarm.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class InstanceNamesTest {

    @Test
    void theReferenceServersNames() {
        assertEquals("Systemtap Compile Server on vm", InstanceNames.of("vm"));
        assertEquals("Systemtap Compile Server on vm #2", InstanceNames.next("Systemtap Compile Server on vm"));
        assertEquals("Systemtap Compile Server on vm #8", InstanceNames.next("Systemtap Compile Server on vm #7"));
        assertEquals("Systemtap Compile Server on vm #10", InstanceNames.next("Systemtap Compile Server on vm #9"));
    }

    /** A DNS label holds 63 bytes: the host part gives way, never the number, never half a character. */
    @Test
    void namesFitOneLabel() {
        String host = "ü".repeat(40);
        String first = InstanceNames.of(host);
        assertEquals(62, first.getBytes(StandardCharsets.UTF_8).length);
        String second = InstanceNames.next(first);
        assertEquals(true, second.endsWith("ü #2"), second);
        assertEquals(true, second.getBytes(StandardCharsets.UTF_8).length <= 63, second);
        String tenth = second;
        for (int i = 3; i <= 10; i++) {
            tenth = InstanceNames.next(tenth);
        }
        assertEquals(true, tenth.endsWith(" #10"), tenth);
        assertEquals(true, tenth.getBytes(StandardCharsets.UTF_8).length <= 63, tenth);
    }
}
