package org.stapfarm.dist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A `stap-serverd` of the distribution, run as the test user through the real launcher. */
final class ServerProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("Using network address \\[::\\]:(\\d+)");
    private static final Pattern CERTINFO = Pattern.compile("Certificate serial \\(certinfo\\) ([0-9a-f:]+)");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    final Process process;
    final Path log;
    final Path sslDirectory;
    final int port;
    final String certinfo;

    private ServerProcess(Process process, Path log, Path sslDirectory, int port, String certinfo) {
        this.process = process;
        this.log = log;
        this.sslDirectory = sslDirectory;
        this.port = port;
        this.certinfo = certinfo;
    }

    /**
     * Starts a server on a kernel-chosen port with its own certificate directory and log, and waits until
     * it listens. `options` are further daemon options; `environment` is added to the test user's.
     */
    static ServerProcess start(List<String> options, Map<String, String> environment)
            throws IOException, InterruptedException {
        return start(options, environment, UnaryOperator.identity());
    }

    /** The same, with the command line as {@code around} turns it, e.g. into one run in a {@link NetworkLab}. */
    static ServerProcess start(List<String> options, Map<String, String> environment,
                               UnaryOperator<List<String>> around) throws IOException, InterruptedException {
        Path directory = TestUser.INSTANCE.newDirectory(Workspace.INSTANCE.root, "server-");
        Path log = directory.resolve("log");
        Path ssl = directory.resolve("ssl");
        List<String> command = new ArrayList<>(List.of(Workspace.INSTANCE.bin("stap-serverd").toString(),
                "--port", "0", "--ssl", ssl.toString(), "--log", log.toString()));
        command.addAll(options);
        Process process = new ProcessBuilder(around.apply(TestUser.INSTANCE.command(command, environment)))
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve("console").toFile())
                .start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
            Matcher listening = LISTENING.matcher(text);
            Matcher certinfo = CERTINFO.matcher(text);
            if (listening.find() && certinfo.find()) {
                return new ServerProcess(process, log, ssl, Integer.parseInt(listening.group(1)), certinfo.group(1));
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("stap-serverd exited with " + process.exitValue() + ": "
                        + Files.readString(directory.resolve("console")) + text);
            }
            Thread.sleep(100);
        }
        process.destroyForcibly();
        throw new IllegalStateException("stap-serverd did not start within " + START_TIMEOUT);
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    String logText() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** SIGTERM, as an init system stops it; returns the exit status. */
    int stop() throws InterruptedException {
        ProcessHandle java = javaProcess();
        java.destroy();
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            java.destroyForcibly();
            process.waitFor();
        }
        return process.exitValue();
    }

    /** The JVM itself, below runuser and env. */
    ProcessHandle javaProcess() {
        return process.descendants().filter(child -> child.info().command().orElse("").endsWith("java"))
                .findFirst().orElse(process.toHandle());
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            stop();
        }
    }
}
