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

/** start, stop, status, restart and condrestart with the stand-in translator and runners. */
class StartStopTest {

    private static final String CACHE = "var/cache/systemtap/" + Fixture.RELEASE + "/";
    private static final String TREE = "lib/modules/" + Fixture.RELEASE + "/build";
    private static final String SCRIPTS = "etc/systemtap/script.d/";

    @TempDir
    Path tmp;
    private Fixture host;

    @BeforeEach
    void host() {
        host = new Fixture(tmp);
    }

    @AfterEach
    void noStandInLeftRunning() {
        host.killStandIns();
    }

    private static String compile(String name) {
        return "stap -p4 -m " + name + " -r " + TREE + " " + SCRIPTS + name + ".stp";
    }

    private static String load(String name) {
        return "staprun -L " + CACHE + name + ".ko";
    }

    @Test
    void startCompilesInDependencyOrderAndStopsInReverse() throws Exception {
        for (String name : List.of("a", "b", "c", "e")) {
            host.script(name);
        }
        host.conf("group.conf", "e_REQ=\"b c\"\nb_REQ=a\nc_REQ=a\n");

        Fixture.Result start = host.run("start");
        assertEquals(0, start.code(), start.toString());
        assertEquals("Starting systemtap:  Compiling a ... done\n Starting a ... done\n"
                + " Compiling b ... done\n Starting b ... done\n Compiling c ... done\n Starting c ... done\n"
                + " Compiling e ... done\n Starting e ... done\nOK\n", start.out());
        assertEquals(List.of(compile("a"), load("a"), compile("b"), load("b"), compile("c"), load("c"), compile("e"),
                load("e")), host.calls());
        assertEquals("PID=0\nRUNTIME=kernel\nMODULE='" + host.cacheDirectory().resolve("a.ko") + "'\n",
                Files.readString(host.statusFile("a")));

        Fixture.Result again = host.run("start");
        assertEquals("Starting systemtap: OK\n", again.out(), "running scripts are left alone");
        assertEquals(List.of(), host.calls());

        Fixture.Result status = host.run("status");
        assertEquals(0, status.code());
        assertEquals("a is running...\nb is running...\nc is running...\ne is running...\n", status.out());

        Fixture.Result stop = host.run("stop");
        assertEquals(0, stop.code(), stop.toString());
        assertEquals("Stopping systemtap:  Stopping e ... done\n Stopping c ... done\n Stopping b ... done\n"
                + " Stopping a ... done\nOK\n", stop.out(), "the shared requirement a stops last, once");
        assertEquals(List.of("staprun -d e", "staprun -d c", "staprun -d b", "staprun -d a"), host.calls());
        assertEquals(List.of(), host.loaded());
        assertFalse(Files.exists(host.statusFile("a")));

        Fixture.Result stopped = host.run("status");
        assertEquals(3, stopped.code());
        assertEquals("a is stopped\nb is stopped\nc is stopped\ne is stopped\n", stopped.out());
    }

    @Test
    void namedScriptsFollowRequirementsOnlyWithRecursion() throws Exception {
        host.script("a");
        host.script("b");
        host.conf("b.conf", "b_REQ=a\n");

        assertEquals(0, host.run("start", "b").code());
        assertEquals(List.of(compile("b"), load("b")), host.calls(), "without -R, _REQ is not followed");
        assertEquals(0, host.run("stop", "b").code());
        host.calls();

        assertEquals(0, host.run("start", "-R", "b").code());
        assertEquals(List.of(compile("a"), load("a"), load("b")), host.calls(), "b's cache is still valid");

        host.with("RECURSIVE=yes");
        assertEquals(0, host.run("stop", "b").code());
        assertEquals(List.of("staprun -d b", "staprun -d a"), host.calls(), "RECURSIVE=yes stops requirements too");
    }

    @Test
    void namedScriptsStartInDependencyOrderWhateverTheirOrderOnTheCommandLine() throws Exception {
        host.script("a");
        host.script("b");
        host.conf("b.conf", "b_REQ=a\n");
        assertEquals(0, host.run("start", "b", "a", "b").code());
        assertEquals(List.of(compile("a"), load("a"), compile("b"), load("b")), host.calls());
    }

    @Test
    void stoppingARequirementStopsItsRunningDependentsFirst() throws Exception {
        host.script("a");
        host.script("b");
        host.script("c");
        host.conf("deps.conf", "b_REQ=a\nc_REQ=b\n");
        assertEquals(0, host.run("start").code());
        host.calls();

        Fixture.Result stop = host.run("stop", "a");
        assertEquals(0, stop.code(), stop.toString());
        assertEquals(List.of("staprun -d c", "staprun -d b", "staprun -d a"), host.calls());
    }

    @Test
    void defaultStartChoosesWhatStartWithoutNamesStarts() throws Exception {
        host.script("a");
        host.script("b");
        host.script("c");
        host.conf("deps.conf", "b_REQ=a\n");
        host.with("DEFAULT_START=b");
        assertEquals(0, host.run("start").code());
        assertEquals(List.of(compile("a"), load("a"), compile("b"), load("b")), host.calls(),
                "DEFAULT_START with its requirements, not c");
    }

    @Test
    void fileModeRunsAReaderWhosePidIsKeptAndSignalled() throws Exception {
        host.script("f");
        Path output = tmp.resolve("f.out");
        host.conf("f.conf", "f_OPT=\"-v -o " + output + " -s 4 -x 123 -DMAXACTION=10000\"\n");

        Fixture.Result start = host.run("start", "f");
        assertEquals(0, start.code(), start.toString());
        List<String> calls = host.calls();
        assertEquals("stap -p4 -m f -r " + TREE + " -v -DMAXACTION=10000 " + SCRIPTS + "f.stp", calls.get(0));
        assertEquals("staprun -o f.out -b 4 -x 123 -D " + CACHE + "f.ko", calls.get(1));
        String pid = Files.readString(host.statusFile("f")).lines().findFirst().orElseThrow().substring(4);
        assertTrue(runs(pid));

        Fixture.Result status = host.run("status", "f");
        assertEquals("f(" + pid + ") is running...\n", status.out());

        Fixture.Result stop = host.run("stop", "f");
        assertEquals(0, stop.code(), stop.toString());
        assertFalse(runs(pid));
        assertEquals(List.of(), host.calls(), "the reader is signalled, staprun -d is not needed");
        assertEquals(List.of(), host.loaded());
    }

    /** Whether the process runs: an exited one that is not reaped yet has no command line. */
    private static boolean runs(String pid) throws Exception {
        Path commandLine = Path.of("/proc", pid, "cmdline");
        return Files.exists(commandLine) && Files.readAllBytes(commandLine).length > 0;
    }

    @Test
    void bpfScriptsRunUnderStapbpfInTheirOwnSession() throws Exception {
        host.script("net");
        host.conf("net.conf", "net_OPT=\"--runtime=bpf -o /var/log/net.out\"\n");

        Fixture.Result start = host.run("start", "net");
        assertEquals(0, start.code(), start.toString());
        List<String> calls = host.calls();
        assertEquals("stap -p4 -m net -r " + TREE + " --runtime=bpf " + SCRIPTS + "net.stp", calls.get(0));
        assertEquals("stapbpf -o /var/log/net.out " + CACHE + "net.bo", calls.get(1));
        assertTrue(Files.exists(host.cacheDirectory().resolve("net.bo")));
        assertEquals("net(" + Files.readString(host.statusFile("net")).lines().findFirst().orElseThrow().substring(4)
                + ") is running...\n", host.run("status").out());

        assertEquals(0, host.run("stop").code());
        assertEquals(List.of("stapbpf ended " + CACHE + "net.bo"), host.calls());
    }

    @Test
    void aRunnerThatFailsFailsTheScript() throws Exception {
        host.script("net");
        host.conf("net.conf", "net_OPT=--bpf\n");
        Files.writeString(host.bin.resolve("stapbpf.fail"), "");
        Fixture.Result start = host.run("start");
        assertEquals(1, start.code(), start.toString());
        assertEquals("Starting systemtap:  Compiling net ... done\n Starting net ... error\nFAILED\n", start.out());
        assertTrue(start.err().contains("stapbpf exited with status 1"), start.err());
        assertFalse(Files.exists(host.statusFile("net")));
    }

    @Test
    void aModuleLoadedByOthersIsReportedAndLeftAlone() throws Exception {
        host.script("a");
        Files.writeString(host.bin.resolve("loaded"), "a\n");

        Fixture.Result status = host.run("status", "a");
        assertEquals(4, status.code());
        assertEquals("a is dead, but another script is running.\n", status.out());

        Fixture.Result stop = host.run("stop", "a");
        assertEquals(1, stop.code(), stop.toString());
        assertTrue(stop.err().contains("was not loaded by this service"), stop.err());
        assertEquals(List.of(), host.calls(), "staprun -d is never run for a module the service did not load");
        assertEquals(List.of("a"), host.loaded());

        Fixture.Result start = host.run("start", "a");
        assertEquals(1, start.code(), start.toString());
        assertTrue(start.err().contains("is loaded, but not by this service"), start.err());
    }

    @Test
    void aStaleStatusFileMeansStoppedAndIsReplacedByStart() throws Exception {
        host.script("a");
        Files.createDirectories(host.statusFile("a").getParent());
        Files.writeString(host.statusFile("a"), "4242\n");

        Fixture.Result status = host.run("status", "a");
        assertEquals(1, status.code());
        assertEquals("a is stopped\n", status.out());

        assertEquals(0, host.run("start", "a").code());
        assertTrue(Files.readString(host.statusFile("a")).startsWith("PID=0\n"));
    }

    @Test
    void restartStopsAndStartsTheRunningSetWithTheDependentsItTookDown() throws Exception {
        host.script("a");
        host.script("b");
        host.script("idle");
        host.conf("deps.conf", "b_REQ=a\n");
        host.with("DEFAULT_START=b");
        assertEquals(0, host.run("start").code());
        host.calls();

        Fixture.Result restart = host.run("restart", "a");
        assertEquals(0, restart.code(), restart.toString());
        assertEquals("Stopping systemtap:  Stopping b ... done\n Stopping a ... done\nOK\n\n"
                + "Starting systemtap:  Starting a ... done\n Starting b ... done\nOK\n", restart.out());

        Fixture.Result all = host.run("restart");
        assertEquals(0, all.code(), all.toString());
        assertFalse(all.out().contains("idle"), "restart without names restarts what runs: " + all.out());
    }

    @Test
    void condrestartDoesNothingWhenNothingRuns() throws Exception {
        host.script("a");
        Fixture.Result nothing = host.run("condrestart");
        assertEquals(0, nothing.code());
        assertEquals("", nothing.out());
        assertEquals(List.of(), host.calls());

        assertEquals(0, host.run("start").code());
        host.calls();
        Fixture.Result restart = host.run("try-restart");
        assertEquals(0, restart.code(), restart.toString());
        assertEquals(List.of("staprun -d a", load("a")), host.calls());
    }

    @Test
    void forceReloadAppliesTheConfiguration() throws Exception {
        host.script("a");
        host.script("b");
        host.with("DEFAULT_START=a");
        assertEquals(0, host.run("start").code());
        host.with("DEFAULT_START=b");
        host.calls();

        Fixture.Result reload = host.run("force-reload");
        assertEquals(0, reload.code(), reload.toString());
        assertEquals(List.of("staprun -d a", compile("b"), load("b")), host.calls());
    }

    @Test
    void statusWithoutScripts() {
        Fixture.Result status = host.run("status");
        assertEquals(3, status.code());
        assertEquals("No systemtap scripts are present\n", status.out());

        Fixture.Result start = host.run("start");
        assertEquals(0, start.code());
        assertEquals("Starting systemtap: OK\n", start.out());
    }
}
