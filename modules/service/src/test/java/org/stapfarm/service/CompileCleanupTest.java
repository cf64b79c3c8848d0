package org.stapfarm.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** compile and cleanup, their prompts and -y, for this kernel and for another release (spec §3.11). */
class CompileCleanupTest {

    private static final String OTHER = "6.1.0-next";

    @TempDir
    Path tmp;
    private Fixture host;

    @BeforeEach
    void host() throws Exception {
        host = new Fixture(tmp);
        host.script("a");
        host.script("b");
    }

    private Path cache(String release) {
        return tmp.resolve("var/cache/systemtap").resolve(release);
    }

    @Test
    void compileBuildsEveryScriptForAnotherRelease() throws Exception {
        host.buildTree(OTHER, "#1 SMP Next");
        Fixture.Result compile = host.run("compile", "-r", OTHER);
        assertEquals(0, compile.code(), compile.toString());
        assertEquals("Compiling systemtap scripts:  Compiling a ... done\n Compiling b ... done\nOK\n", compile.out());
        assertEquals(List.of("stap -p4 -m a -r lib/modules/" + OTHER + "/build etc/systemtap/script.d/a.stp",
                "stap -p4 -m b -r lib/modules/" + OTHER + "/build etc/systemtap/script.d/b.stp"), host.calls());
        assertTrue(Files.readString(cache(OTHER).resolve("a.opts")).contains("RELEASE='" + OTHER + "'\n"
                + "MACHINE='x86_64'\nVERSION='#1 SMP Next'\n"), "the target kernel is recorded, not the running one");
    }

    @Test
    void updatingCachesAsksFirst() throws Exception {
        assertEquals(0, host.run("compile", "a").code());
        host.calls();
        Path module = host.cacheDirectory().resolve("a.ko");
        String listing = "Updating caches: " + module + " " + host.cacheDirectory().resolve("a.opts") + "\n";

        Fixture.Result declined = host.run("compile", "a");
        assertEquals(0, declined.code(), "no answer is no");
        assertEquals("Compiling systemtap scripts: \n" + listing
                + "Do you really want to update above caches [y/N]: \n", declined.out());
        assertEquals(List.of(), host.calls());

        Fixture.Result askedTwice = host.runWithInput("maybe\nno\n", "compile", "a");
        assertEquals(0, askedTwice.code());
        assertTrue(askedTwice.out().endsWith("[y/N]: Do you really want to update above caches [y/N]: "),
                askedTwice.out());
        assertEquals(List.of(), host.calls());

        Fixture.Result yes = host.runWithInput("Yes\n", "compile", "a");
        assertEquals(0, yes.code());
        assertTrue(yes.out().endsWith("[y/N]:  Compiling a ... done\nOK\n"), yes.out());
        assertEquals(1, host.calls().size());

        Fixture.Result forced = host.run("compile", "-y", "a");
        assertEquals("Compiling systemtap scripts: \n" + listing + " Compiling a ... done\nOK\n", forced.out(),
                "-y answers the question but still shows what is replaced");
    }

    @Test
    void compilingWithoutABuildTreeOrServerFails() throws Exception {
        Fixture.Result compile = host.run("compile", "-r", OTHER, "a");
        assertEquals(1, compile.code(), compile.toString());
        assertEquals("Compiling systemtap scripts:  Compiling a ... error\nFAILED\n", compile.out());
        String log = Files.readString(host.log());
        assertTrue(log.contains("no kernel build tree for release " + OTHER), log);
        assertTrue(log.contains("compiling through a compile server"), log);
        assertTrue(log.contains("stap-client: ERROR: "), log);
        assertEquals(List.of(), host.calls(), "the local translator is not run without a build tree");
        assertFalse(Files.exists(cache(OTHER)));
    }

    @Test
    void compileNeedsScriptFiles() {
        Fixture.Result compile = host.run("compile", "nosuch");
        assertEquals(5, compile.code());
        assertEquals("", compile.out());
    }

    @Test
    void cleanupRemovesEveryCacheOfTheReleaseAfterAsking() throws Exception {
        host.buildTree(OTHER, "#1 SMP Next");
        assertEquals(0, host.run("compile", "-r", OTHER).code());
        Files.delete(host.scriptFile("b"));
        String listing = "Removing caches: " + cache(OTHER).resolve("a.ko") + " " + cache(OTHER).resolve("a.opts")
                + " " + cache(OTHER).resolve("b.ko") + " " + cache(OTHER).resolve("b.opts") + "\n";

        Fixture.Result declined = host.runWithInput("n\n", "cleanup", "-r", OTHER);
        assertEquals(0, declined.code());
        assertEquals("Cleaning up systemtap scripts: \n" + listing
                + "Do you really want to remove above caches [y/N]: ", declined.out());
        assertTrue(Files.exists(cache(OTHER).resolve("b.ko")));

        Fixture.Result yes = host.run("cleanup", "-r", OTHER, "-y");
        assertEquals(0, yes.code(), yes.toString());
        assertEquals("Cleaning up systemtap scripts: \n" + listing + "OK\n", yes.out(),
                "caches whose script is gone are removed too");
        assertFalse(Files.exists(cache(OTHER)));
    }

    @Test
    void cleanupOfNamedScriptsLeavesTheOthers() throws Exception {
        assertEquals(0, host.run("compile").code());
        Fixture.Result cleanup = host.run("cleanup", "-y", "b");
        assertEquals(0, cleanup.code(), cleanup.toString());
        assertTrue(Files.exists(host.cacheDirectory().resolve("a.ko")));
        assertFalse(Files.exists(host.cacheDirectory().resolve("b.ko")));
        assertFalse(Files.exists(host.cacheDirectory().resolve("b.opts")));
    }

    @Test
    void cleanupWithoutACacheSucceeds() {
        Fixture.Result cleanup = host.run("cleanup", "-r", OTHER);
        assertEquals(0, cleanup.code());
        assertEquals("Cleaning up systemtap scripts: OK\n", cleanup.out());
    }
}
