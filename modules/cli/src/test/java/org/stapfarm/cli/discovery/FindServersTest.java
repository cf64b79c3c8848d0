package org.stapfarm.cli.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.protocol.SysInfo;

class FindServersTest {

    @TempDir
    Path tmp;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... arguments) {
        return FindServers.run(List.of(arguments), Map.of("SYSTEMTAP_DIR", tmp.toString()),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void withoutANodeNothingIsFound() {
        assertEquals(1, run("--all"));
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    /** Upstream looked at its first argument only and took anything else for "compatible only" (5.5 item 43). */
    @Test
    void everyArgumentIsChecked() {
        assertEquals(1, run("--all", "--bogus"));
        assertEquals("stap-find-servers: unrecognized option '--bogus'\nUsage: stap-find-servers [--all]\n",
                err.toString(StandardCharsets.UTF_8));
        assertEquals(0, run("--help"));
    }

    @Test
    void linesHaveUpstreamsFormat() {
        assertEquals("build1 127.0.0.1 36001 'sysinfo=6.1.0-47-amd64 x86_64'",
                new FoundServer("build1", "127.0.0.1", 36001, new SysInfo("6.1.0-47-amd64", "x86_64")).format());
    }
}
