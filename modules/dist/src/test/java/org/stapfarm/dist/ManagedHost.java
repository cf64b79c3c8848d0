package org.stapfarm.dist;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An administrator of compile servers on this machine, as the test user with a home of its own: runs the
 * distribution's management commands (`stap-server`, `stap-start-server`, ...) and knows the per-user
 * locations an ordinary user gets (docs/stap-server.md): config, status files and log under
 * `~/.systemtap/stap-server/`, the node's endpoint under `~/.systemtap/stapfarm/node/`.
 */
final class ManagedHost implements AutoCloseable {

    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(3);
    private static final Pattern NODE_PID = Pattern.compile("\"pid\":(\\d+)");

    final Path home;
    final Path configDirectory;
    final Path statusDirectory;
    final Path logFile;
    private final Map<String, String> environment;

    private ManagedHost(Path home, Map<String, String> extraEnvironment) {
        this.home = home;
        Path base = home.resolve(".systemtap/stap-server");
        this.configDirectory = base.resolve("conf.d");
        this.statusDirectory = base.resolve("run");
        this.logFile = base.resolve("log");
        this.environment = new HashMap<>(extraEnvironment);
        this.environment.put("HOME", home.toString());
    }

    static ManagedHost create() throws IOException {
        return create(Map.of());
    }

    /** With `extraEnvironment` in every command's environment, and so in the nodes they start. */
    static ManagedHost create(Map<String, String> extraEnvironment) throws IOException {
        return new ManagedHost(TestUser.INSTANCE.newDirectory(Workspace.INSTANCE.root, "admin-"), extraEnvironment);
    }

    /** Runs a command of the distribution's bin/ as this administrator. */
    Commands.Result run(String command, String... arguments) throws IOException, InterruptedException {
        List<String> line = new ArrayList<>(List.of(Workspace.INSTANCE.bin(command).toString()));
        line.addAll(List.of(arguments));
        return Commands.asTestUser(line, environment, COMMAND_TIMEOUT);
    }

    Commands.Result stapServer(String... arguments) throws IOException, InterruptedException {
        return run("stap-server", arguments);
    }

    /** Writes `conf.d/<name>` as root would for the user: readable, not writable by the server user. */
    void writeServerConfig(String name, String text) throws IOException, InterruptedException {
        Commands.Result mkdir = Commands.asTestUser(List.of("mkdir", "-p", configDirectory.toString()), Map.of(),
                COMMAND_TIMEOUT);
        if (mkdir.exitCode() != 0) {
            throw new IOException("cannot create " + configDirectory + ": " + mkdir.stderr());
        }
        TestFiles.write(configDirectory.resolve(name), text, "rw-r--r--");
    }

    /** The server ids with a status file, in name order. */
    List<String> statusFileIds() throws IOException {
        if (!Files.isDirectory(statusDirectory)) {
            return List.of();
        }
        try (var files = Files.list(statusDirectory)) {
            return files.map(file -> file.getFileName().toString()).filter(name -> name.matches("\\d+\\.stat"))
                    .map(name -> name.substring(0, name.length() - ".stat".length())).sorted().toList();
        }
    }

    /** The pid of this user's node, while one runs. */
    Optional<Long> nodePid() throws IOException {
        Path endpoint = home.resolve(".systemtap/stapfarm/node/node.json");
        if (!Files.exists(endpoint)) {
            return Optional.empty();
        }
        Matcher pid = NODE_PID.matcher(Files.readString(endpoint));
        return pid.find() ? Optional.of(Long.parseLong(pid.group(1))) : Optional.empty();
    }

    /** Waits until the node has exited and withdrawn its endpoint; false if it is still there. */
    boolean awaitNodeGone(Duration timeout) throws IOException, InterruptedException {
        Optional<Long> pid = nodePid();
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            boolean alive = pid.flatMap(ProcessHandle::of).map(ProcessHandle::isAlive).orElse(false);
            if (!alive && nodePid().isEmpty()) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    /** A port nothing listens on now, for a server to be started on. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** The server certificate the nodes of this user present (the default `--ssl` location). */
    Path serverCertificate() {
        return home.resolve(".systemtap/ssl/server/stap.cert");
    }

    /** Stops every server this administrator started and makes sure the node is gone. */
    @Override
    public void close() throws Exception {
        Optional<ProcessHandle> node = nodePid().flatMap(ProcessHandle::of);
        stapServer("stop");
        if (node.isPresent()) {
            try {
                node.get().onExit().get(90, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                node.get().destroyForcibly();
            }
        }
    }
}
