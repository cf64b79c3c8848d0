package org.stapfarm.cli.server;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.stapfarm.cli.node.Nodes;
import org.stapfarm.management.ChangeReport;
import org.stapfarm.management.ChangeRequest;
import org.stapfarm.management.ClusterView;
import org.stapfarm.management.ManagementException;
import org.stapfarm.management.NodeManagement;
import org.stapfarm.management.NodeView;
import org.stapfarm.management.ServerView;
import org.stapfarm.management.StartRequest;

/**
 * The nodes as one command run sees them: each user's node is asked at most once what it runs, and a server
 * is alive exactly when its user's node lists its id (spec §5 items 21 and 22: no process matching, no
 * signals).
 */
final class NodeAccess {

    /** In order of preference when one nickname is recorded for several servers. */
    enum State { RUNNING, UNKNOWN, DEAD }

    /** Whether a server runs; {@code reason} says why that cannot be told when {@link State#UNKNOWN}. */
    record Liveness(State state, String reason) {
        static final Liveness RUNNING = new Liveness(State.RUNNING, "");
        static final Liveness DEAD = new Liveness(State.DEAD, "");
    }

    /**
     * What a user's node ran when first asked: nothing (no node), the node and its view, or why it could not
     * be asked.
     */
    private record Lookup(Optional<NodeManagement> node, Optional<NodeView> view, String error) {
    }

    /** For an item of a change the node's report leaves out. */
    static final String UNREPORTED = "the node did not report on it";

    private final Nodes nodes;
    private final Environment environment;
    private final Map<String, Lookup> lookups = new HashMap<>();

    NodeAccess(Nodes nodes, Environment environment) {
        this.nodes = nodes;
        this.environment = environment;
    }

    Liveness liveness(String user, long id) {
        Lookup lookup = lookup(user);
        if (!lookup.error().isEmpty()) {
            return new Liveness(State.UNKNOWN, lookup.error());
        }
        return server(user, id).isPresent() ? Liveness.RUNNING : Liveness.DEAD;
    }

    /** Server {@code id} as the node of {@code user} lists it, if it does. */
    Optional<ServerView> server(String user, long id) {
        return lookup(user).view().stream().flatMap(view -> view.servers().stream())
                .filter(server -> server.id() == id).findFirst();
    }

    /** The cluster of {@code user}'s node; empty when none runs or it could not be asked what it runs. */
    Optional<ClusterView> cluster(String user) throws ManagementException {
        Optional<NodeManagement> node = lookup(user).node();
        return node.isPresent() ? Optional.of(node.get().cluster()) : Optional.empty();
    }

    private Lookup lookup(String user) {
        return lookups.computeIfAbsent(user, key -> {
            try {
                Optional<NodeManagement> node = nodes.find(user);
                return new Lookup(node, node.isPresent() ? Optional.of(node.get().node()) : Optional.empty(), "");
            } catch (ManagementException e) {
                return new Lookup(Optional.empty(), Optional.empty(),
                        "cannot reach the node of user " + user + ": " + e.getMessage());
            }
        });
    }

    /**
     * Why no server may run as {@code user} for this invoker, if none may: never as root (§4.1), and only
     * root can act for another user.
     */
    Optional<String> refusal(String user) {
        if (user.equals("root")) {
            return Optional.of("compile servers never run as root: name their user with -u USER or STAP_USER"
                    + " (the service uses STAP_USER=stap-server)");
        }
        if (!environment.isRoot() && !user.equals(environment.userName())) {
            return Optional.of("only root can start a server as another user (" + user + "); as "
                    + environment.userName() + ", leave out -u and STAP_USER or name yourself");
        }
        return Optional.empty();
    }

    /** Starts one server on {@code user}'s node, which is started first if need be. */
    ChangeReport.Started start(String user, StartRequest request, Path nodeLog) throws ManagementException {
        List<ChangeReport.Started> started = change(user, ChangeRequest.starting(request), nodeLog).started();
        return started.isEmpty() ? new ChangeReport.Started(null, UNREPORTED) : started.get(0);
    }

    /** Stops one server of {@code user}'s node, letting it answer the requests it accepted. */
    ChangeReport.Stopped stop(String user, long id, Path nodeLog) throws ManagementException {
        List<ChangeReport.Stopped> stopped = change(user, ChangeRequest.stopping(id), nodeLog).stopped();
        return stopped.isEmpty() ? new ChangeReport.Stopped(id, UNREPORTED) : stopped.get(0);
    }

    /**
     * Carries out {@code change} on {@code user}'s node: a node is started for a change that starts servers,
     * and a change that only stops servers of a node that is gone has nothing left to do.
     */
    ChangeReport change(String user, ChangeRequest change, Path nodeLog) throws ManagementException {
        Optional<NodeManagement> node = change.start().isEmpty()
                ? nodes.find(user)
                : Optional.of(nodes.findOrStart(user, nodeLog));
        if (node.isEmpty()) {
            return new ChangeReport(
                    change.stop().stream().map(id -> new ChangeReport.Stopped(id, "")).toList(), List.of());
        }
        return node.get().change(change);
    }
}
