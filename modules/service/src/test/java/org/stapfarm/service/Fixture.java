package org.stapfarm.service;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.stapfarm.protocol.SysInfo;
import org.stapfarm.protocol.ThisHost;

/**
 * A host in a temporary directory for the service: every location of the configuration below it, the stand-ins of
 * src/test/resources/stand-ins as `STAP`, `STAPRUN`, `STAPBPF` and `LSMOD`, and an installed build tree for the
 * running kernel, whose version matches the running one. The stand-ins record their calls in {@link #calls()}.
 */
final class Fixture {

    static final String RELEASE = "6.1.0-test";
    static final String VERSION = "#1 SMP PREEMPT_DYNAMIC Test 6.1.1-1 (2026-11-01)";

    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    final Path root;
    final Path bin;
    final Path config;
    String kernelVersion = VERSION;
    private final List<String> settings = new ArrayList<>();

    Fixture(Path root) {
        this.root = root;
        this.bin = root.resolve("bin");
        this.config = root.resolve("etc/systemtap/config");
        try {
            Files.createDirectories(bin);
            for (String program : List.of("stap", "staprun", "stapbpf", "lsmod")) {
                try (InputStream in = Fixture.class.getResourceAsStream("/stand-ins/" + program)) {
                    Path file = bin.resolve(program);
                    Files.write(file, in.readAllBytes());
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
                }
            }
            Files.createDirectories(root.resolve("etc/systemtap/script.d"));
            buildTree(RELEASE, VERSION);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An installed build tree for {@code release} whose generated headers say {@code version}. */
    void buildTree(String release, String version) throws IOException {
        Path generated = root.resolve("lib/modules").resolve(release).resolve("build/include/generated");
        Files.createDirectories(generated);
        Files.writeString(generated.resolve("utsversion.h"), "#define UTS_VERSION \"" + version + "\"\n");
    }

    /** Adds global parameters (one `NAME=VALUE` line each) to those that point everything into the fixture. */
    Fixture with(String... lines) {
        settings.addAll(List.of(lines));
        return this;
    }

    Path scriptFile(String name) {
        return root.resolve("etc/systemtap/script.d").resolve(name + ".stp");
    }

    Path script(String name, String text) throws IOException {
        return Files.writeString(scriptFile(name), text);
    }

    /** A script that compiles with the stand-in translator. */
    Path script(String name) throws IOException {
        return script(name, "probe begin { printf(\"" + name + "\\n\") }\n");
    }

    Path conf(String file, String text) throws IOException {
        Path directory = root.resolve("etc/systemtap/conf.d");
        Files.createDirectories(directory);
        return Files.writeString(directory.resolve(file), text);
    }

    Path cacheDirectory() {
        return root.resolve("var/cache/systemtap").resolve(RELEASE);
    }

    Path statusFile(String name) {
        return root.resolve("run/systemtap").resolve(name);
    }

    Path log() {
        return root.resolve("var/log/systemtap.log");
    }

    Result run(String... arguments) {
        return runWithInput("", arguments);
    }

    Result runWithInput(String input, String... arguments) {
        writeConfig();
        Host host = new Host(new ThisHost("testhost", new SysInfo(RELEASE, "x86_64")), kernelVersion,
                Map.of("SYSTEMTAP_DIR", root.resolve("home/.systemtap").toString()), 0, config,
                Clock.fixed(Instant.parse("2026-11-22T02:04:05Z"), ZoneOffset.UTC));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = SystemtapService.run(List.of(arguments), host,
                new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private void writeConfig() {
        List<String> lines = new ArrayList<>(List.of(
                "SCRIPT_PATH=" + root.resolve("etc/systemtap/script.d"),
                "CONFIG_PATH=" + root.resolve("etc/systemtap/conf.d"),
                "CACHE_PATH=" + root.resolve("var/cache/systemtap"),
                "TEMP_PATH=" + root.resolve("tmp"),
                "STAT_PATH=" + root.resolve("run/systemtap"),
                "LOG_FILE=" + log(),
                "MODULES_DIR=" + root.resolve("lib/modules"),
                "STAP=" + bin.resolve("stap"),
                "STAPRUN=" + bin.resolve("staprun"),
                "STAPBPF=" + bin.resolve("stapbpf"),
                "LSMOD=" + bin.resolve("lsmod")));
        lines.addAll(settings);
        try {
            Files.createDirectories(config.getParent());
            Files.createDirectories(root.resolve("tmp"));
            Files.writeString(config, String.join("\n", lines) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The stand-ins' calls so far, one line each, in order; forgotten afterwards. */
    List<String> calls() throws IOException {
        Path file = bin.resolve("calls");
        if (!Files.exists(file)) {
            return List.of();
        }
        List<String> calls = Files.readAllLines(file);
        Files.delete(file);
        return calls.stream().map(call -> call.replace(root + "/", "")).toList();
    }

    /** The modules the staprun stand-in has "loaded". */
    List<String> loaded() throws IOException {
        Path file = bin.resolve("loaded");
        return Files.exists(file) ? Files.readAllLines(file) : List.of();
    }

    /** Ends any background stand-in still running, so that no test leaves processes behind. */
    void killStandIns() {
        ProcessHandle.allProcesses()
                .filter(process -> process.info().arguments().map(List::of).orElse(List.of()).stream()
                        .anyMatch(argument -> argument.startsWith(bin.toString())))
                .forEach(ProcessHandle::destroyForcibly);
    }
}
