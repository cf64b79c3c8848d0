package org.stapfarm.dist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
    /** The server's SYSTEMTAP_DIR: its translator cache, and the client database that trusts it (spec 4.10). */
    final Path systemtapDirectory;
    final int port;
    final String certinfo;

    private ServerProcess(Process process, Path log, Path sslDirectory, Path systemtapDirectory, int port,
                          String certinfo) {
        this.process = process;
        this.log = log;
        this.sslDirectory = sslDirectory;
        this.systemtapDirectory = systemtapDirectory;
        this.port = port;
        this.certinfo = certinfo;
    }

    /**
     * Starts a server on a kernel-chosen port with its own certificate directory, log and SYSTEMTAP_DIR (so
     * the certificate it trusts for its user stays out of the test user's home), and waits until it listens.
     * `options` are further daemon options; `environment` is added to the test user's.
     */
    static ServerProcess start(List<String> options, Map<String, String> environment)
            throws IOException, InterruptedException {
        return start(options, environment, UnaryOperator.identity());
    }

    /** The same, with the command line as {@code around} turns it, e.g. into one run in a {@link NetworkLab}. */
    static ServerProcess start(List<String> options, Map<String, String> environment,
                               UnaryOperator<List<String>> around) throws IOException, InterruptedException {
        Path directory = TestUser.INSTANCE.newDirectory(Workspace.INSTANCE.root, "server-");
        Path ssl = directory.resolve("ssl");
        List<String> sslOptions = new ArrayList<>(List.of("--ssl", ssl.toString()));
        sslOptions.addAll(options);
        return start(directory, ssl, sslOptions, environment, around);
    }

    /**
     * Starts a server without `--ssl`, with the farm identity in {@code identity}
     * (`stapfarm.identity.directory`, set through STAPFARM_IDENTITY), as each node of a farm would.
     */
    static ServerProcess startWithFarmIdentity(List<String> options, Path identity)
            throws IOException, InterruptedException {
        return start(TestUser.INSTANCE.newDirectory(Workspace.INSTANCE.root, "server-"), identity, options,
                Map.of("STAPFARM_IDENTITY", identity.toString()), UnaryOperator.identity());
    }

    private static ServerProcess start(Path directory, Path ssl, List<String> options, Map<String, String> environment,
                                       UnaryOperator<List<String>> around) throws IOException, InterruptedException {
        Path log = directory.resolve("log");
        Path systemtap = directory.resolve("systemtap");
        Map<String, String> fullEnvironment = new HashMap<>(environment);
        fullEnvironment.putIfAbsent("SYSTEMTAP_DIR", systemtap.toString());
        List<String> command = new ArrayList<>(List.of(Workspace.INSTANCE.bin("stap-serverd").toString(),
                "--port", "0", "--log", log.toString()));
        command.addAll(options);
        Process process = new ProcessBuilder(around.apply(TestUser.INSTANCE.command(command, fullEnvironment)))
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve("console").toFile())
                .start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
            Matcher listening = LISTENING.matcher(text);
            Matcher certinfo = CERTINFO.matcher(text);
            if (listening.find() && certinfo.find()) {
                return new ServerProcess(process, log, ssl, Path.of(fullEnvironment.get("SYSTEMTAP_DIR")),
                        Integer.parseInt(listening.group(1)), certinfo.group(1));
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
