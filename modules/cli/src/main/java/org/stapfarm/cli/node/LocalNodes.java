package org.stapfarm.cli.node;

import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.LinkOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.stapfarm.management.ManagementClient;
import org.stapfarm.management.ManagementException;
import org.stapfarm.management.NodeEndpoint;
import org.stapfarm.management.NodeManagement;

/**
 * The nodes of this host, found through the endpoint each publishes in its user's SystemTap directory,
 * and started with the distribution's `bin/stapfarm-node` when a user has none.
 */
public final class LocalNodes implements Nodes {

    /** A node answers within a few seconds of its JVM starting; a busy machine gets some slack. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(100);

    /**
     * Environment a node started for another user gets from root's, besides that user's own HOME, USER,
     * LOGNAME and a plain PATH: everything else of root's environment stays behind (spec §5 item 33).
     */
    private static final List<String> PASSED_TO_OTHER_USERS =
            List.of("TMPDIR", "LANG", "LC_ALL", "JAVA_OPTS", "STAPFARM_CONF", "SYSTEMTAP_STAP", "STAPFARM_CLUSTER_HOST",
                    "STAPFARM_CLUSTER_PORT", "STAPFARM_CLUSTER_SEEDS", "STAPFARM_CLUSTER_CREDENTIALS");

    private final Path distributionHome;
    private final Map<String, String> environment;
    private final String currentUser = System.getProperty("user.name");
    private final boolean root = new UnixSystem().getUid() == 0;

    public LocalNodes(Path distributionHome, Map<String, String> environment) {
        this.distributionHome = distributionHome;
        this.environment = Map.copyOf(environment);
    }

    /** The nodes of the distribution this command belongs to (`-Dstapfarm.home`, set by bin/ launchers). */
    public static LocalNodes ofThisDistribution() {
        return new LocalNodes(Path.of(System.getProperty("stapfarm.home", ".")), System.getenv());
    }

    @Override
    public Optional<NodeManagement> find(String user) throws ManagementException {
        Optional<NodeEndpoint> endpoint = NodeEndpoint.read(nodeDirectory(user));
        if (endpoint.isEmpty()) {
            return Optional.empty();
        }
        ManagementClient client = new ManagementClient(endpoint.get());
        try {
            client.node();
            return Optional.of(client);
        } catch (ManagementException e) {
            if (ProcessHandle.of(endpoint.get().pid()).map(ProcessHandle::isAlive).orElse(false)) {
                throw e;
            }
            // The node died without withdrawing its endpoint (SIGKILL, power loss): nothing runs.
            return Optional.empty();
        }
    }

    @Override
    public NodeManagement findOrStart(String user, Path logFile) throws ManagementException {
        if (user.equals("root")) {
            throw new ManagementException("compile servers never run as root; name their user with -u USER "
                    + "or STAP_USER");
        }
        if (!root && !user.equals(currentUser)) {
            throw new ManagementException("only root can start a compile server as another user (" + user + ")");
        }
        Optional<NodeManagement> running = find(user);
        if (running.isPresent()) {
            return running.get();
        }
        return launch(user, logFile);
    }

    private NodeManagement launch(String user, Path logFile) throws ManagementException {
        Path output;
        try {
            if (logFile != null && !user.equals(currentUser)) {
                handOver(logFile, user);
            }
            output = Files.createTempFile("stapfarm-node-", ".out");
        } catch (IOException e) {
            throw new ManagementException("cannot start a node: " + e.getMessage(), e);
        }
        try {
            Process process = new ProcessBuilder(launchCommand(user, logFile))
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()))
                    .redirectErrorStream(true)
                    .start();
            Instant deadline = Instant.now().plus(START_TIMEOUT);
            while (Instant.now().isBefore(deadline)) {
                Optional<NodeManagement> node = find(user);
                if (node.isPresent()) {
                    return node.get();
                }
                if (!process.isAlive() && process.exitValue() != 0) {
                    // A second node for the same user gives up at once; the first one may still be starting.
                    if (!Files.readString(output).contains("a node already runs")) {
                        throw new ManagementException("the node did not start: " + lastLines(output));
                    }
                }
                Thread.sleep(POLL_INTERVAL.toMillis());
            }
            throw new ManagementException("the node did not answer within " + START_TIMEOUT.toSeconds()
                    + " seconds: " + lastLines(output));
        } catch (IOException e) {
            throw new ManagementException("cannot start a node: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ManagementException("interrupted while starting a node", e);
        } finally {
            try {
                Files.deleteIfExists(output);
            } catch (IOException ignored) {
                // A temporary file left behind is harmless.
            }
        }
    }

    /**
     * Root's commands and the node share the log file (upstream's layout); a file root creates first must
     * still be writable by the node's user, so root hands it over, as logrotate's `create ... stap-server`
     * does for the service.
     */
    private static void handOver(Path logFile, String user) throws IOException {
        Path directory = logFile.toAbsolutePath().getParent();
        if (!Files.exists(directory)) {
            Files.createDirectories(directory);
        }
        if (!Files.exists(logFile, LinkOption.NOFOLLOW_LINKS)) {
            Files.createFile(logFile);
        }
        if (!Files.isRegularFile(logFile, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("the log file " + logFile + " is not a regular file");
        }
        UserPrincipal owner = logFile.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(user);
        Files.getFileAttributeView(logFile, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setOwner(owner);
    }

    /** The node runs in its own session so that the terminal's signals and hang-up do not reach it. */
    private List<String> launchCommand(String user, Path logFile) throws ManagementException {
        List<String> command = new ArrayList<>();
        if (!user.equals(currentUser)) {
            Path home = homeOf(user);
            command.addAll(List.of("runuser", "-u", user, "--", "env", "-i", "HOME=" + home, "USER=" + user,
                    "LOGNAME=" + user, "PATH=/usr/local/bin:/usr/bin:/bin"));
            for (String name : PASSED_TO_OTHER_USERS) {
                String value = environment.get(name);
                if (value != null) {
                    command.add(name + "=" + value);
                }
            }
        }
        command.addAll(List.of("setsid", distributionHome.resolve("bin/stapfarm-node").toString()));
        if (logFile != null) {
            command.addAll(List.of("--log", logFile.toString()));
        }
        return command;
    }

    private Path nodeDirectory(String user) throws ManagementException {
        Path systemtapDirectory = user.equals(currentUser)
                ? NodeEndpoint.systemtapDirectory(environment)
                : homeOf(user).resolve(".systemtap");
        return NodeEndpoint.nodeDirectory(systemtapDirectory);
    }

    /** The home directory from the user database (NSS, so LDAP users count). */
    private static Path homeOf(String user) throws ManagementException {
        try {
            Process getent = new ProcessBuilder("getent", "passwd", user).redirectErrorStream(true).start();
            String entry = new String(getent.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            String[] fields = entry.split(":");
            if (getent.waitFor() != 0 || fields.length < 6) {
                throw new ManagementException("no such user: " + user);
            }
            return Path.of(fields[5]);
        } catch (IOException e) {
            throw new ManagementException("cannot look up user " + user + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ManagementException("interrupted while looking up user " + user, e);
        }
    }

    private static String lastLines(Path output) throws IOException {
        List<String> lines = Files.readAllLines(output);
        String text = String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size())).trim();
        return text.isEmpty() ? "it printed nothing" : text;
    }
}
