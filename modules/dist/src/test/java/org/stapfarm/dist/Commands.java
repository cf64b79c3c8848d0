package org.stapfarm.dist;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a command other than the stock client (the launcher itself, say) with a time limit, and captures
 * its output.
 */
final class Commands {

    /** How the short-lived commands run: a JVM tuned to start fast, as their launchers will run it. */
    private static final List<String> FAST_START = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto");
    /** The modules the commands need beyond what the node needs. */
    private static final List<String> COMMAND_MODULES = List.of("cli", "management");

    record Result(int exitCode, String stdout, String stderr, Duration elapsed) {
    }

    private Commands() {
    }

    /** Runs `command` as the test user with the test user's clean environment plus `environment`. */
    static Result asTestUser(List<String> command, Map<String, String> environment, Duration timeout)
            throws IOException, InterruptedException {
        return run(TestUser.INSTANCE.command(command, environment), timeout);
    }

    /**
     * The command line that runs the main class of a short-lived command (`stap-client`,
     * `stap-find-servers`, ...) from the distribution's lib/, as long as bin/ has no launcher for it.
     */
    static List<String> java(String mainClass, List<String> arguments) {
        List<String> command = new ArrayList<>(List.of("java"));
        command.addAll(FAST_START);
        command.addAll(List.of("-cp", commandClasspath(), mainClass));
        command.addAll(arguments);
        return command;
    }

    /**
     * lib/ of the distribution, plus the jars of the commands' modules that it does not carry yet, copied
     * from the build into the workspace so that the test user can read them.
     */
    private static synchronized String commandClasspath() {
        Path lib = Workspace.INSTANCE.distribution.resolve("lib");
        StringBuilder classpath = new StringBuilder(lib + "/*");
        try {
            for (String module : COMMAND_MODULES) {
                String prefix = "stapfarm-" + module + "-";
                if (jar(lib, prefix).isPresent()) {
                    continue;
                }
                Path copy = Workspace.INSTANCE.root.resolve("stapfarm-" + module + ".jar");
                if (!Files.exists(copy)) {
                    Path built = Path.of(System.getProperty("stapfarm.dist", "target/stapfarm")).toAbsolutePath()
                            .resolve("../../..").resolve(module).resolve("target").normalize();
                    Path jar = jar(built, prefix).orElseThrow(() -> new IllegalStateException("no " + prefix
                            + "*.jar in " + built + "; package the " + module + " module first"));
                    Files.copy(jar, copy, StandardCopyOption.REPLACE_EXISTING);
                    Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
                }
                classpath.append(':').append(copy);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return classpath.toString();
    }

    private static Optional<Path> jar(Path directory, String prefix) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(file -> file.getFileName().toString().startsWith(prefix)
                    && file.getFileName().toString().endsWith(".jar")).findFirst();
        }
    }

    /** Runs `command` exactly as given, as the user of the test JVM. */
    static Result run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        long started = System.nanoTime();
        Process process = new ProcessBuilder(command)
                .directory(Workspace.INSTANCE.root.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor();
            throw new AssertionError(command + " did not finish within " + timeout + "; stdout: " + stdout.join()
                    + " stderr: " + stderr.join());
        }
        return new Result(process.exitValue(), stdout.join(), stderr.join(),
                Duration.ofNanos(System.nanoTime() - started));
    }

    private static String read(InputStream stream) {
        try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
