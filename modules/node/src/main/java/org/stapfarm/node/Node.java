package org.stapfarm.node;

import com.sun.security.auth.module.UnixSystem;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import org.stapfarm.node.cluster.ClusterMembership;
import org.stapfarm.node.server.ServerSupervisor;

/** What both ways of running a node share: the root check, logging, the actor system and signals. */
final class Node {

    static final String ROOT_REFUSAL = "For security reasons, invocation of stap-serverd as root is not supported.";

    private Node() {
    }

    static boolean runningAsRoot() {
        return new UnixSystem().getUid() == 0;
    }

    /**
     * Starts the node's actor system, its messages going to {@code logFile} (standard error when null), and
     * with it the node's membership of the cluster.
     */
    static ActorSystem<ServerSupervisor.Command> start(Path logFile) throws ClusterMembership.ClusterSetupException {
        Logging.configure(logFile);
        Logger log = LoggerFactory.getLogger(Node.class);
        log.info("===== compile server pid {} starting as {} =====", ProcessHandle.current().pid(),
                System.getProperty("user.name"));
        ActorSystem<ServerSupervisor.Command> system = NodeGuardian.start(
                ClusterMembership.environmentOverrides(System.getenv()).withFallback(ConfigFactory.load()));
        stopOnSignals(system, log);
        return system;
    }

    /** Blocks until the node has shut down. */
    static void awaitTermination(ActorSystem<?> system) {
        system.getWhenTerminated().toCompletableFuture().join();
    }

    /**
     * SIGTERM and SIGINT stop the node through coordinated shutdown (stop accepting, drain, leave the
     * cluster) and the process then exits 0, as the reference daemon does; left to the JVM, the signal
     * would end the process with status 143, which service managers count as a failure.
     */
    private static void stopOnSignals(ActorSystem<?> system, Logger log) {
        AtomicBoolean stopping = new AtomicBoolean();
        for (String name : List.of("TERM", "INT")) {
            Signal.handle(new Signal(name), received -> {
                if (stopping.compareAndSet(false, true)) {
                    log.info("Received signal {}, exiting", received.getNumber());
                    CoordinatedShutdown.get(system).runAll(SignalReason.INSTANCE);
                }
            });
        }
    }

    private enum SignalReason implements CoordinatedShutdown.Reason { INSTANCE }
}
