package org.stapfarm.dist;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command other than the stock client (the launcher itself, say) with a time limit, and captures
 * its output.
 */
final class Commands {

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
     * `stap-find-servers`, ...) the way its launcher in bin/ does, as long as bin/ has none for it.
     */
    static List<String> command(String mainClass, List<String> arguments) {
        List<String> command = new ArrayList<>(List.of(
                Workspace.INSTANCE.distribution.resolve("libexec/stapfarm-java").toString(), "command", mainClass));
        command.addAll(arguments);
        return command;
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
