package org.stapfarm.node;

import com.sun.security.auth.module.UnixSystem;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import org.stapfarm.config.ServerOptions;
import org.stapfarm.config.ServerOptionsParser;
import org.stapfarm.node.server.ServerSupervisor;
import org.stapfarm.node.server.StartOutcome;

/**
 * `stap-serverd`: one node in the foreground with one compile server, a drop-in for the reference daemon's
 * command line. SIGTERM stops it after the requests in flight are answered.
 */
public final class NodeMain {

    /** Generating a 4096-bit key on first start can take a while on a small machine. */
    private static final Duration START_TIMEOUT = Duration.ofMinutes(5);

    private NodeMain() {
    }

    public static void main(String[] args) {
        System.exit(run(List.of(args)));
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

    static int run(List<String> args) {
        if (new UnixSystem().getUid() == 0) {
            System.err.println("For security reasons, invocation of stap-serverd as root is not supported.");
            return 1;
        }
        ServerOptions options;
        try {
            options = ServerOptionsParser.parse(args);
        } catch (ServerOptionsParser.InvalidOptionsException e) {
            System.err.println("stap-serverd: " + e.getMessage());
            return 1;
        }
        LoggerFactory.getILoggerFactory();
        if (options.logFile() != null) {
            try {
                Logging.toFile(options.logFile());
            } catch (IllegalArgumentException e) {
                System.err.println("stap-serverd: " + e.getMessage());
                return 1;
            }
        }
        Logger log = LoggerFactory.getLogger(NodeMain.class);
        log.info("===== compile server pid {} starting as {} =====", ProcessHandle.current().pid(),
                System.getProperty("user.name"));

        Config config = ConfigFactory.load();
        ActorSystem<ServerSupervisor.Command> system =
                ActorSystem.create(NodeGuardian.create(NodeSettings.from(config)), "stapfarm", config);
        StartOutcome outcome;
        try {
            outcome = AskPattern.<ServerSupervisor.Command, StartOutcome>ask(system,
                    replyTo -> new ServerSupervisor.StartServer("stap-serverd", options, replyTo),
                    START_TIMEOUT, system.scheduler()).toCompletableFuture().get();
        } catch (InterruptedException | ExecutionException e) {
            outcome = new StartOutcome.Failed("stap-serverd", "the server did not start: " + e.getMessage());
        }
        if (outcome instanceof StartOutcome.Failed failed) {
            System.err.println("stap-serverd: " + failed.message());
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().join();
            return 1;
        }
        StartOutcome.Started started = (StartOutcome.Started) outcome;
        log.info("Using network address [::]:{}", started.port());
        log.info("Using a maximum of {} threads", options.translatorSlots());
        log.info("Certificate serial (certinfo) {}", started.certinfo());
        stopOnSignals(system, log);
        system.getWhenTerminated().toCompletableFuture().join();
        return 0;
    }
}
