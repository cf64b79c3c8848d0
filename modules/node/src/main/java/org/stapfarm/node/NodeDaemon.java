package org.stapfarm.node;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.stapfarm.node.cluster.ClusterMembership;
import org.stapfarm.management.NodeEndpoint;
import org.stapfarm.node.management.ManagementApi;
import org.stapfarm.node.server.ServerSupervisor;
import org.stapfarm.security.FilePermissions;

/**
 * `stapfarm-node`: the background node the management commands start for a user (`stap-server start`,
 * `stap-start-server`). It hosts any number of compile servers, started and stopped through its loopback
 * management API, and exits when its last server stops. One per user: a second one waits a while for the
 * node directory's lock (the first may be shutting down), then gives up.
 *
 * <p>Usage: {@code stapfarm-node [--log FILE]}.
 */
public final class NodeDaemon {

    private static final Duration LOCK_WAIT = Duration.ofSeconds(30);

    private NodeDaemon() {
    }

    public static void main(String[] args) {
        System.exit(run(List.of(args)));
    }

    static int run(List<String> args) {
        if (Node.runningAsRoot()) {
            System.err.println(Node.ROOT_REFUSAL);
            return 1;
        }
        Path logFile = null;
        if (args.size() == 2 && args.get(0).equals("--log")) {
            logFile = Path.of(args.get(1));
        } else if (!args.isEmpty()) {
            System.err.println("Usage: stapfarm-node [--log FILE]");
            return 1;
        }
        Path nodeDirectory = NodeEndpoint.nodeDirectory(NodeEndpoint.systemtapDirectory(System.getenv()));
        try (FileChannel lockFile = openLockFile(nodeDirectory); FileLock lock = awaitLock(lockFile)) {
            if (lock == null) {
                System.err.println("stapfarm-node: a node already runs for this user (" + nodeDirectory + ")");
                return 1;
            }
            ActorSystem<ServerSupervisor.Command> system = Node.start(logFile);
            try {
                ManagementApi.start(system, nodeDirectory).toCompletableFuture().join();
            } catch (CompletionException e) {
                System.err.println("stapfarm-node: " + e.getCause().getMessage());
                system.terminate();
                Node.awaitTermination(system);
                return 1;
            }
            Node.awaitTermination(system);
            return 0;
        } catch (IOException e) {
            System.err.println("stapfarm-node: cannot use the node directory " + nodeDirectory + ": " + e.getMessage());
            return 1;
        } catch (IllegalArgumentException | ClusterMembership.ClusterSetupException e) {
            System.err.println("stapfarm-node: " + e.getMessage());
            return 1;
        }
    }

    /**
     * The lock, once the node holding it has gone: a node whose last server just stopped may still be
     * shutting down when a command starts the next one. Null if it is still held after a while, i.e. a
     * node really runs.
     */
    private static FileLock awaitLock(FileChannel lockFile) throws IOException {
        long deadline = System.nanoTime() + LOCK_WAIT.toNanos();
        while (true) {
            FileLock lock = lockFile.tryLock();
            if (lock != null || System.nanoTime() > deadline) {
                return lock;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    private static FileChannel openLockFile(Path nodeDirectory) throws IOException {
        FilePermissions.createPrivateDirectories(nodeDirectory);
        FilePermissions.requireSafeDirectory(nodeDirectory.toRealPath());
        return FileChannel.open(nodeDirectory.resolve("node.lock"),
                Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(FilePermissions.OWNER_ONLY_FILE));
    }
}
