package org.stapfarm.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The `systemtap` script service through its launcher, with the real translator compiling: `--runtime=bpf`
 * scripts build here, kernel-module scripts fail at pass 4 with these headers. Modules cannot be loaded here, so
 * `STAPRUN`, `STAPBPF` and `LSMOD` are the recording stand-ins of the service's tests, and `KERNEL_RELEASE` makes
 * an installed build tree the kernel `start` loads into (the running kernel has none).
 */
class SystemtapServiceIT {

    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private static final byte[] ELF = {0x7f, 'E', 'L', 'F'};

    private final List<ServiceHost> hosts = new ArrayList<>();

    @AfterEach
    void stopEverything() {
        hosts.forEach(ServiceHost::killStandIns);
    }

    /** A host's service configuration in a directory of its own: scripts, conf.d, cache, status, log, stand-ins. */
    private final class ServiceHost {
        final Path root = TestFiles.directory("service-");
        final Path config = root.resolve("config");
        final Path bin = root.resolve("bin");
        private final List<String> parameters = new ArrayList<>();

        ServiceHost(String... extra) throws IOException {
            Files.createDirectories(root.resolve("script.d"));
            Files.createDirectories(root.resolve("conf.d"));
            Files.createDirectories(bin);
            for (String program : List.of("staprun", "stapbpf", "lsmod")) {
                TestFiles.copy("stand-ins/" + program, bin, "rwxr-xr-x");
            }
            parameters.addAll(List.of("SCRIPT_PATH=" + root.resolve("script.d"),
                    "CONFIG_PATH=" + root.resolve("conf.d"),
                    "CACHE_PATH=" + root.resolve("cache"), "TEMP_PATH=" + root.resolve("tmp"),
                    "STAT_PATH=" + root.resolve("run"), "LOG_FILE=" + root.resolve("log/systemtap.log"),
                    "STAPRUN=" + bin.resolve("staprun"), "STAPBPF=" + bin.resolve("stapbpf"),
                    "LSMOD=" + bin.resolve("lsmod"), "KERNEL_RELEASE=" + Releases.first()));
            parameters.addAll(List.of(extra));
            writeConfig();
            hosts.add(this);
        }

        void set(String parameter) throws IOException {
            parameters.add(parameter);
            writeConfig();
        }

        private void writeConfig() throws IOException {
            Files.createDirectories(root.resolve("tmp"));
            Files.writeString(config, String.join("\n", parameters) + "\n");
        }

        void script(String name, String text) throws IOException {
            Files.writeString(root.resolve("script.d").resolve(name + ".stp"), text);
        }

        void conf(String file, String text) throws IOException {
            Files.writeString(root.resolve("conf.d").resolve(file), text);
        }

        Path cache(String release) {
            return root.resolve("cache").resolve(release);
        }

        Commands.Result run(String... arguments) throws IOException, InterruptedException {
            return runWithInput("", arguments);
        }

        /** `bin/systemtap COMMAND -c config ARGUMENTS...`, with {@code input} on standard input. */
        Commands.Result runWithInput(String input, String... arguments) throws IOException, InterruptedException {
            List<String> command = new ArrayList<>(List.of(Workspace.INSTANCE.bin("systemtap").toString(), arguments[0],
                    "-c", config.toString()));
            command.addAll(Arrays.asList(arguments).subList(1, arguments.length));
            Process process = new ProcessBuilder(command).directory(root.toFile()).start();
            CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
            CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
            process.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().close();
            if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(command + " did not finish within " + TIMEOUT);
            }
            return new Commands.Result(process.exitValue(), stdout.join(), stderr.join(), Duration.ZERO);
        }

        /** The stand-ins' calls since the last look, with this host's directory left out. */
        List<String> calls() throws IOException {
            Path file = bin.resolve("calls");
            if (!Files.exists(file)) {
                return List.of();
            }
            List<String> calls = Files.readAllLines(file).stream().map(call -> call.replace(root + "/", "")).toList();
            Files.delete(file);
            return calls;
        }

        String log() throws IOException {
            return Files.readString(root.resolve("log/systemtap.log"));
        }

        void killStandIns() {
            ProcessHandle.allProcesses()
                    .filter(process -> process.info().arguments().map(List::of).orElse(List.of()).stream()
                            .anyMatch(argument -> argument.startsWith(bin.toString())))
                    .forEach(ProcessHandle::destroyForcibly);
        }
    }

    private static String read(InputStream stream) {
        try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String bpfScript(String message) {
        return "probe timer.s(3600) { printf(\"" + message + "\\n\") }\n";
    }

    private static void assertElf(Path module) throws IOException {
        assertArrayEquals(ELF, Arrays.copyOf(Files.readAllBytes(module), 4), module + " is not an ELF object");
    }

    @Test
    void bpfScriptsCompileStartInDependencyOrderAndRecompileOnlyWhenTheirCacheIsInvalid() throws Exception {
        ServiceHost host = new ServiceHost();
        String release = Releases.first();
        String cache = "cache/" + release + "/";
        Path out = host.root.resolve("top.out");
        host.script("base", bpfScript("base"));
        host.script("mid", bpfScript("mid"));
        host.script("top", bpfScript("top"));
        host.conf("base.conf", "base_OPT=--runtime=bpf\n");
        host.conf("group.conf", "mid_OPT=\"--runtime=bpf -v\"\nmid_REQ=base\n"
                + "top_OPT=\"--runtime=bpf -o " + out + "\"\ntop_REQ=\"mid base\"\n");

        Commands.Result start = host.run("start");
        assertEquals(0, start.exitCode(), start.toString());
        assertEquals("Starting systemtap:  Compiling base ... done\n Starting base ... done\n"
                + " Compiling mid ... done\n Starting mid ... done\n Compiling top ... done\n Starting top ... done\n"
                + "OK\n", start.stdout());
        assertEquals(List.of("stapbpf " + cache + "base.bo", "stapbpf " + cache + "mid.bo",
                "stapbpf -o top.out " + cache + "top.bo"), host.calls());
        for (String name : List.of("base", "mid", "top")) {
            assertElf(host.cache(release).resolve(name + ".bo"));
        }
        String record = Files.readString(host.cache(release).resolve("mid.opts"));
        assertTrue(record.contains("RELEASE='" + release + "'\n") && record.contains("RUNTIME='bpf'\n")
                && record.contains("OPTIONS='--runtime=bpf -v'\n"), record);
        assertTrue(host.log().contains("Pass 4: compiled BPF into \"mid.bo\""), "the translator's output is logged");

        Commands.Result status = host.run("status");
        assertEquals(0, status.exitCode(), status.toString());
        assertTrue(status.stdout().matches("base\\(\\d+\\) is running\\.\\.\\.\nmid\\(\\d+\\) is running\\.\\.\\.\n"
                + "top\\(\\d+\\) is running\\.\\.\\.\n"), status.stdout());

        host.script("mid", bpfScript("mid, changed"));
        Files.writeString(host.cache(release).resolve("base.opts"), Files.readString(host.cache(release)
                .resolve("base.opts")).replaceFirst("VERSION='[^']*'", "VERSION='#1 SMP another build'"));
        host.conf("group.conf", "mid_OPT=\"--runtime=bpf -v\"\nmid_REQ=base\n"
                + "top_OPT=\"--runtime=bpf -o " + host.root.resolve("top2.out") + "\"\ntop_REQ=\"mid base\"\n");
        Commands.Result restart = host.run("restart");
        assertEquals(0, restart.exitCode(), restart.toString());
        assertEquals("Stopping systemtap:  Stopping top ... done\n Stopping mid ... done\n Stopping base ... done\nOK\n"
                + "\nStarting systemtap:  Compiling base ... done\n Starting base ... done\n"
                + " Compiling mid ... done\n Starting mid ... done\n Starting top ... done\nOK\n", restart.stdout(),
                "base: another kernel build; mid: a changed script; top: only a start-time option changed");
        assertTrue(host.log().contains("The cache of base is not valid: it was built for kernel version"
                + " '#1 SMP another build'"), host.log());
        assertTrue(host.log().contains("The cache of mid is not valid: the script changed since it was built"));
        host.calls();

        Commands.Result stop = host.run("stop", "base");
        assertEquals(0, stop.exitCode(), stop.toString());
        assertEquals("Stopping systemtap:  Stopping top ... done\n Stopping mid ... done\n"
                + " Stopping base ... done\nOK\n", stop.stdout(), "stopping a requirement stops its dependents first");
        assertEquals(3, host.run("status").exitCode());
    }

    @Test
    void kernelModuleCompileFailuresFollowPassall() throws Exception {
        ServiceHost host = new ServiceHost();
        host.script("kmod", "probe begin { printf(\"kernel runtime\\n\") }\n");
        host.script("after", bpfScript("after"));
        host.script("alone", bpfScript("alone"));
        host.conf("scripts.conf", "after_OPT=--runtime=bpf\nafter_REQ=kmod\nalone_OPT=--runtime=bpf\n");

        Commands.Result passall = host.run("start");
        assertEquals(1, passall.exitCode(), passall.toString());
        assertEquals("Starting systemtap:  Compiling kmod ... error\nFAILED\n", passall.stdout());
        assertTrue(passall.stderr().contains("Failed to compile script(kmod)"), passall.stderr());
        assertTrue(host.log().contains("Pass 4: compilation failed."), host.log());
        assertEquals(List.of(), host.calls(), "PASSALL=yes: nothing is started after the failure");

        host.set("PASSALL=no");
        Commands.Result warn = host.run("start");
        assertEquals(0, warn.exitCode(), warn.toString());
        assertEquals("Starting systemtap:  Compiling kmod ... error\n Compiling alone ... done\n"
                + " Starting alone ... done\nWARNING\n", warn.stdout());
        assertTrue(warn.stderr().contains("after is not started: it requires kmod, which failed"), warn.stderr());
        assertEquals(List.of("stapbpf cache/" + Releases.first() + "/alone.bo"), host.calls());
        assertFalse(Files.exists(host.root.resolve("run/after")));
        assertEquals(0, host.run("stop").exitCode());
    }

    /**
     * `compile -r` for a release whose build tree this host does not have (`MODULES_DIR` shows none) goes through a
     * stapfarm server that has it; the cache it fills is then packed, unpacked on a "production" host without
     * scripts, and started there from the cache alone, as docs/systemtap-service.md describes.
     */
    @Test
    void compileForAReleaseWithoutABuildTreeHereGoesThroughTheFarm() throws Exception {
        String release = Releases.first();
        int port = ManagedHost.freePort();
        try (ManagedHost farm = ManagedHost.create()) {
            Commands.Result server = farm.run("stap-start-server", "-r", release, "--port=" + port);
            assertEquals(0, server.exitCode(), server.toString());
            try {
                compileThroughTheFarmAndStartFromThePackedCache(release, port, farm);
            } finally {
                farm.run("stap-stop-server", server.stdout().strip());
            }
        }
    }

    private void compileThroughTheFarmAndStartFromThePackedCache(String release, int port, ManagedHost farm)
            throws Exception {
        Path trust = TestFiles.directory("service-trust-").resolve("db");
        Commands.Result authorize = Commands.run(List.of(Workspace.INSTANCE.bin("stap-authorize-server-cert")
                .toString(), farm.serverCertificate().toString(), trust.toString()), TIMEOUT);
        assertEquals(0, authorize.exitCode(), authorize.toString());

        ServiceHost build = new ServiceHost("MODULES_DIR=" + TestFiles.directory("no-build-trees-"),
                "COMPILE_SERVER=127.0.0.1:" + port, "COMPILE_SSL=" + trust);
        build.script("net", bpfScript("net"));
        build.conf("net.conf", "net_OPT=\"--runtime=bpf -o /var/log/net.out\"\n");

        Commands.Result compile = build.run("compile", "-r", release);
        assertEquals(0, compile.exitCode(), compile.toString() + build.log());
        assertEquals("Compiling systemtap scripts:  Compiling net ... done\nOK\n", compile.stdout());
        assertElf(build.cache(release).resolve("net.bo"));
        String record = Files.readString(build.cache(release).resolve("net.opts"));
        assertTrue(record.contains("VERSION=''\n") && record.contains("BUILT_WITH='compile server 127.0.0.1:"
                + port + "'\n"), record);
        assertTrue(build.log().contains("no kernel build tree for release " + release), build.log());
        assertTrue(build.log().contains("Running stap-client --server=127.0.0.1:" + port + " --ssl=" + trust
                + " -p4 -mnet -r" + release + " --runtime=bpf "), build.log());

        Commands.Result declined = build.runWithInput("n\n", "cleanup", "-r", release);
        assertEquals(0, declined.exitCode(), declined.toString());
        assertTrue(declined.stdout().endsWith("Do you really want to remove above caches [y/N]: "),
                declined.stdout());
        assertTrue(Files.exists(build.cache(release).resolve("net.bo")));

        ServiceHost production = new ServiceHost("AUTOCOMPILE=no", "ALLOW_CACHEONLY=yes");
        Path archive = build.root.resolve("cache.tar.gz");
        assertEquals(0, Commands.run(List.of("tar", "-C", build.root.resolve("cache").toString(), "-czf",
                archive.toString(), release), TIMEOUT).exitCode());
        Files.createDirectories(production.root.resolve("cache"));
        assertEquals(0, Commands.run(List.of("tar", "-C", production.root.resolve("cache").toString(), "-xzf",
                archive.toString()), TIMEOUT).exitCode());
        Files.copy(build.root.resolve("conf.d/net.conf"), production.root.resolve("conf.d/net.conf"));

        Commands.Result start = production.run("start");
        assertEquals(0, start.exitCode(), start.toString() + production.log());
        assertEquals("Starting systemtap:  Starting net ... done\nOK\n", start.stdout());
        assertEquals(List.of("stapbpf -o /var/log/net.out cache/" + release + "/net.bo"), production.calls());
        assertEquals(0, production.run("stop").exitCode());

        Commands.Result removed = build.run("cleanup", "-r", release, "-y");
        assertEquals(0, removed.exitCode(), removed.toString());
        assertFalse(Files.exists(build.cache(release)));
    }

    @Test
    void aBrokenConfigurationStartsNothing() throws Exception {
        ServiceHost host = new ServiceHost();
        host.script("a", bpfScript("a"));
        host.script("b", bpfScript("b"));
        host.conf("a.conf", "a_OPT=--runtime=bpf\n");

        host.conf("b.conf", "b_OPT=--runtime=bpf\nb_REQ=\"a missing\"\n");
        Commands.Result unknown = host.run("start");
        assertEquals(6, unknown.exitCode(), unknown.toString());
        assertEquals("systemtap: b_REQ names missing, which has no script file ("
                + host.root.resolve("script.d/missing.stp") + ")\n", unknown.stderr());

        host.conf("b.conf", "b_OPT=--runtime=bpf\nb_REQ=a\nexport a_REQ=b\n");
        Commands.Result malformed = host.run("start");
        assertEquals(6, malformed.exitCode(), malformed.toString());
        assertTrue(malformed.stderr().startsWith("systemtap: " + host.root.resolve("conf.d/b.conf") + ":3: "),
                malformed.stderr());

        host.conf("b.conf", "b_OPT=--runtime=bpf\nb_REQ=a\na_REQ=b\n");
        Commands.Result cycle = host.run("start");
        assertEquals(6, cycle.exitCode(), cycle.toString());
        assertEquals("systemtap: Dependency loop detected: a -> b -> a\n", cycle.stderr());

        Files.delete(host.root.resolve("conf.d/b.conf"));
        Files.createSymbolicLink(host.root.resolve("conf.d/b.conf"), host.root.resolve("nowhere"));
        Commands.Result unreadable = host.run("start");
        assertEquals(6, unreadable.exitCode(), unreadable.toString());
        assertTrue(unreadable.stderr().contains("b.conf: cannot read: no such file"), unreadable.stderr());

        assertEquals(List.of(), host.calls());
        assertFalse(Files.exists(host.root.resolve("cache")), "nothing was compiled");
        assertFalse(Files.exists(host.root.resolve("run/a")), "nothing was started");
    }
}
