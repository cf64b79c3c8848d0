package org.stapfarm.node;

import ch.qos.logback.classic.LoggerContext;
import com.sun.security.auth.module.UnixSystem;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import org.stapfarm.node.cluster.ClusterMembership;
import org.stapfarm.node.server.ServerSupervisor;

/** What both ways of running a node share: the root check, logging, the actor system and signals. */
final class Node {

    /** Longer than Pekko's own timeout for the last phase (10 s), so that it is only a last resort. */
    private static final Duration TERMINATION_BOUND = Duration.ofSeconds(20);

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
        exitWhenTerminationHangs(system, log);
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

    /**
     * Pekko's own teardown can hang after the node's work is done (seen as "Coordinated shutdown phase
     * [actor-system-terminate] timed out": Artery 1.7.0 waits without a deadline for its streams to complete,
     * apache/pekko#3247); a node that has answered everything and left the cluster must still exit instead
     * of hanging on to its user's lock.
     */
    private static void exitWhenTerminationHangs(ActorSystem<?> system, Logger log) {
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "exit-watchdog",
                () -> {
                    Thread watchdog = new Thread(() -> {
                        try {
                            Thread.sleep(TERMINATION_BOUND.toMillis());
                        } catch (InterruptedException e) {
                            return;
                        }
                        log.warn("The actor system did not terminate within {}; the node exits anyway",
                                TERMINATION_BOUND);
                        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logging) {
                            logging.stop();
                        }
                        Runtime.getRuntime().halt(0);
                    }, "exit-watchdog");
                    watchdog.setDaemon(true);
                    watchdog.start();
                    return CompletableFuture.completedFuture(Done.getInstance());
                });
    }

    private enum SignalReason implements CoordinatedShutdown.Reason { INSTANCE }
}
