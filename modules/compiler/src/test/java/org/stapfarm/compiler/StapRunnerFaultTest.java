package org.stapfarm.compiler;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.protocol.CompileResult;
import org.stapfarm.protocol.RequestFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link StapRunner} with fake translators, for what the real one cannot be made to do. */
class StapRunnerFaultTest {

    private static final BuildTarget TARGET =
            new BuildTarget("6.1.0-test", "x86_64", Path.of("/lib/modules/6.1.0-test/build"), false);

    @TempDir
    Path temp;

    private Path temporaryRoot() throws IOException {
        return Files.createDirectories(temp.resolve("tmp"));
    }

    private Map<String, String> environment() {
        Map<String, String> environment = new HashMap<>(System.getenv());
        environment.put("FAKE_CHILD_PID_FILE", temp.resolve("child.pid").toString());
        return environment;
    }

    private StapRunner runner(String fake, ResourceLimits limits, Duration timeout) throws Exception {
        return new StapRunner(Fixtures.settings(Fixtures.fakeTranslator(fake, temp), temporaryRoot(), limits, timeout,
                environment()));
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The `prefix:value` lines of prints-env's report. */
    private static List<String> lines(CompileResult result, String prefix) {
        return text(result.stdout()).lines().filter(line -> line.startsWith(prefix))
                .map(line -> line.substring(prefix.length())).collect(Collectors.toList());
    }

    @Test
    void runsTheTranslatorWithTheReferenceCommandLineDirectoryStdinAndEnvironment() throws Exception {
        Path root = temporaryRoot();
        Map<String, String> environment = environment();
        environment.put("HOME", temp.resolve("home").toString());
        environment.put("LANG", "C");
        TranslatorSettings settings = new TranslatorSettings(Fixtures.fakeTranslator("prints-env", temp),
                List.of("-DMAXACTION=10000", "-I/srv/tapsets", "-Bfoo=1"), root, Fixtures.LIMITS,
                Duration.ofSeconds(30), Fixtures.MAX_RESULT_BYTES, false, environment);
        BuildTarget pathTarget = new BuildTarget("6.1.0-test", "x86_64", Path.of("/srv/trees/6.1"), true);
        CompileResult result;
        try (StapRunner runner = new StapRunner(settings)) {
            result = runner.compile(Fixtures.request(List.of("script/home/u/x.stp", "-p4", "--", "first arg"),
                    Map.of("LANG", "de_DE.UTF-8", "LC_MESSAGES", "C"),
                    List.of(new RequestFile("script/home/u/x.stp", "probe begin {}".getBytes(StandardCharsets.UTF_8)))),
                    pathTarget);
        }

        assertEquals(0, result.rc());
        assertEquals(List.of("-r/srv/trees/6.1", "-DMAXACTION=10000", "-I/srv/tapsets", "-Bfoo=1",
                "--tmpdir=<server>/stap000000", "--client-options", "script/home/u/x.stp", "-p4", "--", "first arg"),
                lines(result, "arg:"));
        List<String> cwd = lines(result, "cwd:");
        assertEquals(1, cwd.size());
        assertTrue(cwd.get(0).matches(root.toRealPath() + "/stap-server\\.[0-9]+/request"), cwd.get(0));
        assertEquals(List.of("/dev/null"), lines(result, "stdin:"));
        List<String> env = lines(result, "env:");
        assertTrue(env.contains("TMPDIR=" + cwd.get(0).replaceFirst("/request$", "")), env.toString());
        assertTrue(env.contains("LANG=de_DE.UTF-8"), env.toString());
        assertTrue(env.contains("LC_MESSAGES=C"), env.toString());
        assertTrue(env.contains("HOME=<server>"), env.toString());
        assertTrue(env.contains("FAKE_CHILD_PID_FILE=" + temp.resolve("child.pid")), env.toString());
        assertEquals("a line on stderr\n", text(result.stderr()));
        assertTrue(Fixtures.isEmptyDirectory(root), "the per-request directory is removed");
    }

    @Test
    void rewritesAResponseDirectoryUnderHomeToServerSlashStap000000() throws Exception {
        Map<String, String> environment = environment();
        environment.put("HOME", temp.toRealPath().toString());
        TranslatorSettings settings = Fixtures.settings(Fixtures.fakeTranslator("prints-env", temp), temporaryRoot(),
                Fixtures.LIMITS, Duration.ofSeconds(30), environment);
        try (StapRunner runner = new StapRunner(settings)) {
            CompileResult result = runner.compile(Fixtures.request(List.of("-p2")), TARGET);
            assertTrue(lines(result, "arg:").contains("--tmpdir=<server>/stap000000"), text(result.stdout()));
            assertTrue(lines(result, "cwd:").get(0).matches("<server>/tmp/stap-server\\.[0-9]+/request"),
                    text(result.stdout()));
        }
    }

    @Test
    void returnsRegularFilesOfTheModuleDirectoryButNoLinks() throws Exception {
        Path script = temp.resolve("writes-module");
        Files.writeString(script, "#!/bin/sh\n"
                + "# Test double for the SystemTap translator: leaves files, a link and a fifo in --tmpdir.\n"
                + "set -e\n"
                + "for arg in \"$@\"; do case $arg in --tmpdir=*) dir=${arg#--tmpdir=};; esac; done\n"
                + "mkdir \"$dir/uprobes\"\n"
                + "printf 'module' > \"$dir/stap_x.ko\"\n"
                + "printf 'helper' > \"$dir/uprobes/uprobes.ko\"\n"
                + "ln -s /etc/passwd \"$dir/passwd\"\n"
                + "mkfifo \"$dir/fifo\"\n"
                + "echo stap_x.ko\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        try (StapRunner runner = new StapRunner(Fixtures.settings(script, temporaryRoot(), Fixtures.LIMITS,
                Duration.ofSeconds(30), environment()))) {
            CompileResult result = runner.compile(Fixtures.request(List.of("-p4")), TARGET);
            assertEquals(0, result.rc(), text(result.stderr()));
            assertEquals(List.of("stap_x.ko", "uprobes/uprobes.ko"),
                    result.moduleDirectory().stream().map(file -> file.path()).collect(Collectors.toList()));
            assertArrayEquals("module".getBytes(StandardCharsets.US_ASCII), result.moduleDirectory().get(0).content());
            assertEquals("stap_x.ko\n", text(result.stdout()));
        }
    }

    @Test
    void aHangingTranslatorAndItsChildAreKilledAtTheTimeout() throws Exception {
        long start = System.nanoTime();
        CompileResult result;
        try (StapRunner runner = runner("hangs", Fixtures.LIMITS, Duration.ofSeconds(2))) {
            result = runner.compile(Fixtures.request(List.of("-p4")), TARGET);
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);

        assertEquals("Server: the compile exceeded the time limit of 2 seconds\n", text(result.stderr()));
        assertEquals(1, result.rc());
        assertTrue(seconds < 8, "ended after " + seconds + " s");
        long child = Long.parseLong(Files.readString(temp.resolve("child.pid")).strip());
        assertFalse(Fixtures.processAlive(child), "the translator's child " + child + " was killed too");
        assertTrue(Fixtures.isEmptyDirectory(temp.resolve("tmp")));
    }

    @Test
    void aFloodOfOutputIsStoppedByTheFileSizeLimit() throws Exception {
        long start = System.nanoTime();
        CompileResult result;
        try (StapRunner runner = runner("floods-output", new ResourceLimits(0, 1 << 20, 0, 0), Duration.ofSeconds(60))) {
            result = runner.compile(Fixtures.request(List.of("-p4")), TARGET);
        }
        assertEquals("Server: the compile exceeded the file size limit of 1048576 bytes\n", text(result.stderr()));
        assertEquals(0, result.stdout().length);
        assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) < 10);
    }

    @Test
    void aSpinningTranslatorIsStoppedByTheCpuLimit() throws Exception {
        long start = System.nanoTime();
        CompileResult result;
        try (StapRunner runner = runner("burns-cpu", new ResourceLimits(1, 0, 0, 0), Duration.ofSeconds(60))) {
            result = runner.compile(Fixtures.request(List.of("-p4")), TARGET);
        }
        assertEquals("Server: the compile exceeded the CPU time limit of 1 seconds per process\n",
                text(result.stderr()));
        assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) < 10);
    }

    @Test
    void aCrashKeepsWhatTheTranslatorPrintedAndNamesTheSignal() throws Exception {
        try (StapRunner runner = runner("crashes", Fixtures.LIMITS, Duration.ofSeconds(30))) {
            CompileResult result = runner.compile(Fixtures.request(List.of("-p4")), TARGET);
            assertEquals(1, result.rc());
            assertEquals("fake translator about to crash\nServer: the translator was killed by signal 11\n",
                    text(result.stderr()));
            assertTrue(result.moduleDirectory().isEmpty());
        }
    }

    @Test
    void aResultOverTheSizeLimitIsRefused() throws Exception {
        TranslatorSettings settings = new TranslatorSettings(Fixtures.fakeTranslator("prints-env", temp), List.of(),
                temporaryRoot(), Fixtures.LIMITS, Duration.ofSeconds(30), 100, false, environment());
        try (StapRunner runner = new StapRunner(settings)) {
            CompileResult result = runner.compile(Fixtures.request(List.of("-p2")), TARGET);
            assertEquals("Server: the result is larger than the limit of 100 bytes\n", text(result.stderr()));
            assertEquals(1, result.rc());
        }
    }

    @Test
    void aFilePathLeavingTheRequestIsRefusedAndNothingIsWrittenOutside() throws Exception {
        try (StapRunner runner = runner("prints-env", Fixtures.LIMITS, Duration.ofSeconds(30))) {
            for (String path : List.of("../escaped", "script/../../escaped", "/tmp/escaped", "")) {
                CompileResult result = runner.compile(Fixtures.request(List.of("-p2"), Map.of(),
                        List.of(new RequestFile(path, new byte[] {1}))), TARGET);
                assertEquals("Server: the request names an invalid file '" + path + "'\n", text(result.stderr()));
            }
        }
        assertFalse(Files.exists(temp.resolve("tmp").resolve("escaped")));
        assertFalse(Files.exists(temp.resolve("escaped")));
        assertTrue(Fixtures.isEmptyDirectory(temp.resolve("tmp")));
    }

    @Test
    void keepsTheTemporaryDirectoryWhenAsked() throws Exception {
        TranslatorSettings settings = new TranslatorSettings(Fixtures.fakeTranslator("prints-env", temp), List.of(),
                temporaryRoot(), Fixtures.LIMITS, Duration.ofSeconds(30),
                Fixtures.MAX_RESULT_BYTES, true, environment());
        try (StapRunner runner = new StapRunner(settings)) {
            runner.compile(Fixtures.request(List.of("-p2")), TARGET);
        }
        try (Stream<Path> kept = Files.list(temp.resolve("tmp"))) {
            Path directory = kept.findFirst().orElseThrow();
            assertTrue(directory.getFileName().toString().startsWith("stap-server."));
            assertEquals("rwx------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(directory)));
            assertTrue(Files.isRegularFile(directory.resolve("response/stdout")));
            assertTrue(Files.isDirectory(directory.resolve("response/stap000000")));
        }
    }

    @Test
    void concurrentCompilesGetTheirOwnDirectories() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (StapRunner runner = runner("prints-env", Fixtures.LIMITS, Duration.ofSeconds(30))) {
            List<Future<CompileResult>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> runner.compile(Fixtures.request(List.of("-p2")), TARGET)));
            }
            List<String> directories = new ArrayList<>();
            for (Future<CompileResult> result : results) {
                directories.addAll(lines(result.get(30, TimeUnit.SECONDS), "cwd:"));
            }
            assertEquals(8, directories.stream().distinct().count());
        } finally {
            pool.shutdownNow();
        }
        assertTrue(Fixtures.isEmptyDirectory(temp.resolve("tmp")));
    }

    @Test
    void cancelAllKillsRunningTranslatorsAndCloseRefusesNewOnes() throws Exception {
        StapRunner runner = runner("hangs", Fixtures.LIMITS, Duration.ofSeconds(60));
        CompletableFuture<CompileResult> running =
                CompletableFuture.supplyAsync(() -> runner.compile(Fixtures.request(List.of("-p4")), TARGET));
        Path pidFile = temp.resolve("child.pid");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!(Files.exists(pidFile) && Files.size(pidFile) > 0) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        runner.close();

        CompileResult result = running.get(10, TimeUnit.SECONDS);
        assertEquals("Server: the compile was cancelled because the server is shutting down\n", text(result.stderr()));
        assertFalse(Fixtures.processAlive(Long.parseLong(Files.readString(pidFile).strip())));
        assertEquals("Server: the server is shutting down\n",
                text(runner.compile(Fixtures.request(List.of("-p4")), TARGET).stderr()));
    }

    @Test
    void refusesATemporaryRootTheTranslatorWouldReject() throws Exception {
        Path upper = Files.createDirectories(temp.resolve("Upper"));
        CompilerSetupException e = assertThrows(CompilerSetupException.class, () -> new StapRunner(
                Fixtures.settings(Fixtures.REAL_STAP, upper, Fixtures.LIMITS, Duration.ofSeconds(1), Map.of())));
        assertTrue(e.getMessage().contains(upper.toString()), e.getMessage());
    }
}
