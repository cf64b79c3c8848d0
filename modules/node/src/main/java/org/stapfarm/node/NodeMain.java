package org.stapfarm.node;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.stapfarm.config.ServerOptions;
import org.stapfarm.config.ServerOptionsParser;
import org.stapfarm.node.cluster.ClusterMembership;
import org.stapfarm.management.ChangeReport;
import org.stapfarm.management.ChangeRequest;
import org.stapfarm.management.StartRequest;
import org.stapfarm.node.server.ServerSupervisor;

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

    static int run(List<String> args) {
        if (Node.runningAsRoot()) {
            System.err.println(Node.ROOT_REFUSAL);
            return 1;
        }
        ServerOptions options;
        try {
            options = ServerOptionsParser.parse(args);
        } catch (ServerOptionsParser.InvalidOptionsException e) {
            System.err.println("stap-serverd: " + e.getMessage());
            return 1;
        }
        ActorSystem<ServerSupervisor.Command> system;
        try {
            system = Node.start(options.logFile());
        } catch (IllegalArgumentException | ClusterMembership.ClusterSetupException e) {
            System.err.println("stap-serverd: " + e.getMessage());
            return 1;
        }
        ChangeReport.Started outcome;
        try {
            outcome = AskPattern.<ServerSupervisor.Command, ChangeReport>ask(system,
                    replyTo -> new ServerSupervisor.ApplyChange(ChangeRequest.starting(new StartRequest(args, "")),
                            replyTo),
                    START_TIMEOUT, system.scheduler()).toCompletableFuture().get().started().get(0);
        } catch (InterruptedException | ExecutionException e) {
            outcome = new ChangeReport.Started(null, "the server did not start: " + e.getMessage());
        }
        if (!outcome.ok()) {
            System.err.println("stap-serverd: " + outcome.error());
            system.terminate();
            Node.awaitTermination(system);
            return 1;
        }
        Node.awaitTermination(system);
        return 0;
    }
}
