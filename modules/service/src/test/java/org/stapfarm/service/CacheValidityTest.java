package org.stapfarm.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When `start` compiles and when it uses the cache (spec §3.6, §5.6 items 55, 56). */
class CacheValidityTest {

    @TempDir
    Path tmp;
    private Fixture host;

    @BeforeEach
    void startOnce() throws Exception {
        host = new Fixture(tmp);
        host.script("a");
        host.conf("a.conf", "a_OPT=\"-v -o " + tmp.resolve("a.out") + "\"\n");
        assertEquals(0, host.run("start", "a").code());
        assertEquals(0, host.run("stop", "a").code());
        host.calls();
    }

    @AfterEach
    void noStandInLeftRunning() {
        host.killStandIns();
    }

    /** Starts and stops a; whether it was compiled. */
    private boolean restartCompiles() throws Exception {
        Fixture.Result start = host.run("start", "a");
        assertEquals(0, start.code(), start.toString() + java.nio.file.Files.readString(host.log()));
        assertEquals(0, host.run("stop", "a").code());
        return host.calls().stream().anyMatch(call -> call.startsWith("stap "));
    }

    @Test
    void theRecordSaysWhatTheModuleWasBuiltFrom() throws Exception {
        assertEquals("# What a.ko was built from, written by the systemtap service; read as VARIABLE=VALUE data.\n"
                + "RELEASE='" + Fixture.RELEASE + "'\nMACHINE='x86_64'\nVERSION='" + Fixture.VERSION + "'\n"
                + "RUNTIME='kernel'\nOPTIONS='-v'\nSCRIPT_SHA256='" + Cache.sha256(host.scriptFile("a")) + "'\n"
                + "BUILT_ON='testhost'\nBUILT_WITH='stap, build tree " + tmp.resolve("lib/modules/"
                + Fixture.RELEASE + "/build") + "'\n", Files.readString(host.cacheDirectory().resolve("a.opts")));
        assertEquals(false, restartCompiles(), "an unchanged script starts from the cache");
    }

    @Test
    void aScriptChangedAfterTheCacheWasBuiltIsRecompiled() throws Exception {
        host.script("a", "probe begin { printf(\"changed\\n\") }\n");
        assertEquals(true, restartCompiles());
        assertTrue(Files.readString(host.log()).contains("The cache of a is not valid: the script changed since it"
                + " was built"));
    }

    /** The deviation from upstream's mtime rule (docs/systemtap-service.md): `compile` forces a rebuild. */
    @Test
    void aScriptThatIsOnlyNewerIsNotRecompiled() throws Exception {
        Files.setLastModifiedTime(host.scriptFile("a"), FileTime.from(Instant.now().plusSeconds(3600)));
        assertEquals(false, restartCompiles(), "the content decides, so a copied or touched script keeps its cache");
    }

    @Test
    void changedCompileOptionsRecompileAndChangedStartOptionsDoNot() throws Exception {
        host.conf("a.conf", "a_OPT=\"-v -o " + tmp.resolve("elsewhere.out") + " -x 1\"\n");
        assertEquals(false, restartCompiles(), "-o and -x are start-time options");

        host.conf("a.conf", "a_OPT=\"-v -DMAXSKIPPED=5\"\n");
        assertEquals(true, restartCompiles());
        assertTrue(Files.readString(host.log()).contains("the compile options changed from '-v' (kernel) to"
                + " '-v -DMAXSKIPPED=5' (kernel)"));
    }

    @Test
    void anotherRuntimeIsAnotherModule() throws Exception {
        host.conf("a.conf", "a_OPT=--runtime=bpf\n");
        assertEquals(true, restartCompiles());
        assertEquals(List.of("a.bo", "a.opts"), cacheFiles(), "the kernel module is replaced, not kept beside it");
    }

    @Test
    void aRebuiltKernelInvalidatesTheCache() throws Exception {
        host.kernelVersion = "#2 SMP PREEMPT_DYNAMIC Test 6.1.1-2 (2026-11-20)";
        host.buildTree(Fixture.RELEASE, host.kernelVersion);
        assertEquals(true, restartCompiles());
        assertTrue(Files.readString(host.cacheDirectory().resolve("a.opts"))
                .contains("VERSION='" + host.kernelVersion));
    }

    @Test
    void anotherHostNameDoesNotInvalidateTheCache() throws Exception {
        Path record = host.cacheDirectory().resolve("a.opts");
        Files.writeString(record, Files.readString(record).replace("BUILT_ON='testhost'", "BUILT_ON='buildfarm7'"));
        assertEquals(false, restartCompiles());
    }

    @Test
    void aRecordForAnotherMachineOrReleaseIsInvalid() throws Exception {
        Path record = host.cacheDirectory().resolve("a.opts");
        String original = Files.readString(record);
        Files.writeString(record, original.replace("MACHINE='x86_64'", "MACHINE='aarch64'"));
        assertEquals(true, restartCompiles());
        Files.writeString(record, original.replace("RELEASE='" + Fixture.RELEASE, "RELEASE='6.1.0-other"));
        assertEquals(true, restartCompiles());
        Files.writeString(record, "Linux testhost 6.1.0-test #1 SMP x86_64 GNU/Linux\n-v --\n");
        assertEquals(true, restartCompiles(), "an upstream record is not trusted");
    }

    @Test
    void cacheOnlyScriptsRunFromAValidatedCache() throws Exception {
        Files.delete(host.scriptFile("a"));
        Fixture.Result refused = host.run("start", "a");
        assertEquals(5, refused.code(), "without ALLOW_CACHEONLY a cache is no script");

        host.with("ALLOW_CACHEONLY=yes");
        Fixture.Result start = host.run("start", "a");
        assertEquals(0, start.code(), start.toString());
        assertEquals("Starting systemtap:  Starting a ... done\nOK\n", start.out());
        assertTrue(Files.readString(host.log()).contains("Warning: no script file(" + host.scriptFile("a")
                + "). Use compiled cache."));
        assertEquals("a is running...\n", host.run("status").out().replaceAll("\\(\\d+\\)", ""));
        assertEquals(0, host.run("stop").code());

        host.kernelVersion = "#2 SMP PREEMPT_DYNAMIC Test 6.1.1-2 (2026-11-20)";
        Fixture.Result stale = host.run("start", "a");
        assertEquals(1, stale.code(), stale.toString());
        assertTrue(stale.err().contains("No valid cache for a: it was built for kernel version"), stale.err());
    }

    private List<String> cacheFiles() throws Exception {
        try (var files = Files.list(host.cacheDirectory())) {
            return files.map(file -> file.getFileName().toString()).sorted().toList();
        }
    }
}
