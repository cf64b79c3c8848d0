package org.stapfarm.cli.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.stapfarm.config.StapServerSettings;

/** A host in a temporary directory for the commands: system locations below it, nodes in memory. */
final class Fixture {

    record Result(int code, String out, String err) {
    }

    final Path root;
    final FakeNodes nodes = new FakeNodes();
    final Map<String, String> variables = new HashMap<>();
    String userName = "alice";
    long uid = 1000;
    StapServerSettings system;

    Fixture(Path root) {
        this.root = root;
        system = new StapServerSettings(root.resolve("etc/stap-server/conf.d"), root.resolve("run/stap-server"),
                root.resolve("var/log/stap-server/log"), "", Optional.of(root.resolve("etc/systemtap/ssl/client")));
        variables.put("SYSTEMTAP_DIR", root.resolve("home/alice/.systemtap").toString());
        try {
            Files.createDirectories(root.resolve("lib/modules/6.1.0-b/build"));
            Files.createDirectories(root.resolve("lib/modules/6.1.0-a/build"));
            Files.createDirectories(root.resolve("lib/modules/5.4.0-headers-removed"));
            Files.createDirectories(root.resolve("cwd"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Fixture as(String name, long id) {
        userName = name;
        uid = id;
        return this;
    }

    Environment environment() {
        return new Environment(userName, uid, variables, root.resolve("cwd"), "x86_64", "6.1.0-test",
                root.resolve("lib/modules"), root.resolve("etc/sysconfig/stap-server"), system,
                Clock.fixed(Instant.parse("2026-11-01T22:05:25Z"), ZoneOffset.UTC));
    }

    Result stapServer(String... arguments) {
        return run(StapServerCommand::run, arguments);
    }

    Result stapStartServer(String... arguments) {
        return run(StapStartServerCommand::run, arguments);
    }

    Result stapStopServer(String... arguments) {
        return run(StapStopServerCommand::run, arguments);
    }

    private Result run(Launcher.Command command, String... arguments) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = command.run(List.of(arguments), environment(), nodes,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** How status lines show a server alice started with the defaults, {@code nickname} and {@code extra} options. */
    String aliceServer(String nickname, String extra) {
        return "stap-server -a \"x86_64\" -r \"6.1.0-test\" -u \"alice\" -n \"" + nickname + "\" --log \"" + log()
                + "\"" + extra;
    }

    Path statPath() {
        return system.statPath();
    }

    Path logFile() {
        return system.logFile();
    }

    String log() {
        return system.logFile().toString();
    }

    Path write(String path, String text) {
        Path file = root.resolve(path);
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    Path conf(String name, String text) {
        return write("etc/stap-server/conf.d/" + name, text);
    }

    String statusFile(long id) {
        return read(statPath().resolve(id + ".stat"));
    }

    List<String> statusFiles() {
        try (var files = Files.list(statPath())) {
            return files.map(file -> file.getFileName().toString()).filter(name -> name.endsWith(".stat")).sorted()
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    String managementLog() {
        return read(logFile());
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
