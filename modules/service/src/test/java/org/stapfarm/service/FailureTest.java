package org.stapfarm.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scripts that fail, with PASSALL on and off, and configurations that must not start anything. */
class FailureTest {

    @TempDir
    Path tmp;
    private Fixture host;

    @BeforeEach
    void host() throws Exception {
        host = new Fixture(tmp);
        host.script("a");
        host.script("broken", "probe begin { FAIL_TO_COMPILE }\n");
        host.script("needs_broken");
        host.script("z");
        host.conf("deps.conf", "needs_broken_REQ=broken\n");
    }

    @AfterEach
    void noStandInLeftRunning() {
        host.killStandIns();
    }

    private List<String> started() throws Exception {
        return host.calls().stream().filter(call -> call.startsWith("staprun -L"))
                .map(call -> call.substring(call.lastIndexOf('/') + 1)).toList();
    }

    @Test
    void withPassallTheFirstFailureEndsTheCommand() throws Exception {
        Fixture.Result start = host.run("start");
        assertEquals(1, start.code(), start.toString());
        assertEquals("Starting systemtap:  Compiling a ... done\n Starting a ... done\n Compiling broken ... error\n"
                + "FAILED\n", start.out());
        assertTrue(start.err().contains("Failed to compile script(broken)"), start.err());
        assertEquals(List.of("a.ko"), started(), "nothing after the failure is attempted");
        assertTrue(Files.readString(host.log()).contains("Pass 4: compilation failed."),
                "the translator's output is in the log");
    }

    @Test
    void withoutPassallFailuresAreWarningsAndDependentsOfAFailureNeverStart() throws Exception {
        host.with("PASSALL=no");
        Fixture.Result start = host.run("start");
        assertEquals(0, start.code(), start.toString());
        assertEquals("Starting systemtap:  Compiling a ... done\n Starting a ... done\n Compiling broken ... error\n"
                + " Compiling z ... done\n Starting z ... done\nWARNING\n", start.out());
        assertTrue(start.err().contains("needs_broken is not started: it requires broken, which failed"), start.err());
        assertEquals(List.of("a.ko", "z.ko"), started());
        assertFalse(Files.exists(host.statusFile("needs_broken")));
    }

    @Test
    void autocompileOffNeedsAValidCache() throws Exception {
        host.with("AUTOCOMPILE=no");
        Fixture.Result start = host.run("start", "a");
        assertEquals(1, start.code(), start.toString());
        assertEquals("Starting systemtap: FAILED\n", start.out());
        assertTrue(start.err().contains("No valid cache for a: there is no a.ko (AUTOCOMPILE is off)"), start.err());
        assertEquals(List.of(), host.calls());
    }

    @Test
    void anUnknownRequirementStartsNothing() throws Exception {
        host.conf("typo.conf", "z_REQ=\"a nosuch\"\n");
        Fixture.Result start = host.run("start");
        assertEquals(6, start.code(), start.toString());
        assertEquals("", start.out());
        assertTrue(start.err().contains("z_REQ names nosuch, which has no script file"), start.err());
        assertEquals(List.of(), host.calls());
        assertEquals(6, host.run("status").code(), "every command refuses a broken configuration");
    }

    @Test
    void aDependencyCycleIsReportedWithTheWholeCycle() throws Exception {
        host.conf("loop.conf", "a_REQ=z\nz_REQ=needs_broken\nbroken_REQ=a\n");
        Fixture.Result start = host.run("start");
        assertEquals(6, start.code(), start.toString());
        assertEquals("systemtap: Dependency loop detected: a -> z -> needs_broken -> broken -> a\n", start.err());
        assertEquals(List.of(), host.calls());
    }

    @Test
    void aMalformedLineIsReportedWithItsFileAndLine() throws Exception {
        Path file = host.conf("z.conf", "z_OPT=-v\nexport z_REQ=a\n");
        Fixture.Result start = host.run("start");
        assertEquals(6, start.code(), start.toString());
        assertTrue(start.err().startsWith("systemtap: " + file + ":2: "), start.err());
        assertEquals(List.of(), host.calls());
        assertFalse(Files.exists(host.cacheDirectory()));
    }

    @Test
    void anUnreadableFileIsReported() throws Exception {
        Files.createSymbolicLink(tmp.resolve("etc/systemtap/conf.d/gone.conf"), tmp.resolve("nowhere"));
        Fixture.Result start = host.run("start");
        assertEquals(6, start.code(), start.toString());
        assertTrue(start.err().contains("gone.conf: cannot read: no such file"), start.err());
        assertEquals(List.of(), host.calls());
    }

    @Test
    void unusableOptionsAreAConfigurationError() throws Exception {
        host.conf("z.conf", "z_OPT=\"-v --frobnicate\"\n");
        Fixture.Result start = host.run("start", "a");
        assertEquals(6, start.code(), start.toString());
        assertTrue(start.err().contains("z_OPT: unrecognized option '--frobnicate'"), start.err());
    }

    @Test
    void badGlobalParametersAreRefused() throws Exception {
        host.with("PASSALL=maybe");
        Fixture.Result start = host.run("start");
        assertEquals(6, start.code(), start.toString());
        assertTrue(start.err().contains("PASSALL must be yes or no"), start.err());

        Fixture.Result missing = host.run("start", "-c", tmp.resolve("no/config").toString());
        assertEquals(6, missing.code());
        assertTrue(missing.err().contains("cannot read: no such file"), missing.err());
    }

    @Test
    void anUnknownScriptIsNotInstalled() throws Exception {
        Fixture.Result start = host.run("start", "a", "nosuch");
        assertEquals(5, start.code(), start.toString());
        assertTrue(start.err().contains("no script file " + host.scriptFile("nosuch")), start.err());
        assertEquals(List.of(), host.calls(), "a is not started either");
    }

    @Test
    void usageErrors() {
        Fixture.Result release = host.run("start", "-r", "6.1.0-other");
        assertEquals(3, release.code());
        assertTrue(release.err().contains("-r applies to compile and cleanup only"), release.err());
        assertTrue(release.out().startsWith("Usage: systemtap {start|stop|"), release.out());

        assertEquals(3, host.run("frobnicate").code());
        assertEquals(3, host.run("start", "-x").code());
        Fixture.Result name = host.run("stop", "bad-name");
        assertEquals(3, name.code());
        assertTrue(name.err().contains("bad-name is not a valid script name (must match [a-zA-Z_][a-zA-Z0-9_]*)"),
                name.err());
        assertEquals(3, host.run("compile", "-r", "../etc").code());
    }

    @Test
    void aLogThatCannotBeWrittenStopsTheCommandBeforeItStarts() throws Exception {
        Files.writeString(tmp.resolve("file"), "");
        host.with("LOG_FILE=" + tmp.resolve("file/log"));
        Fixture.Result start = host.run("start");
        assertEquals(1, start.code());
        assertTrue(start.err().startsWith("systemtap: cannot write the log"), start.err());
        assertEquals(List.of(), host.calls());
    }

    @Test
    void theLogDirectoryIsCreated() throws Exception {
        host.with("LOG_FILE=" + tmp.resolve("new/dir/systemtap.log"));
        assertEquals(0, host.run("start", "a").code());
        assertTrue(Files.readString(tmp.resolve("new/dir/systemtap.log"))
                .contains("Nov 22 02:04:05: systemtap start a\n"));
    }
}
