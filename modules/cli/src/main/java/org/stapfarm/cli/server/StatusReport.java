package org.stapfarm.cli.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.stapfarm.cli.server.NodeAccess.Liveness;
import org.stapfarm.cli.server.NodeAccess.State;
import org.stapfarm.cli.server.Registry.Entry;
import org.stapfarm.config.ServerOptionsParser;
import org.stapfarm.config.ServerOptionsParser.InvalidOptionsException;
import org.stapfarm.config.ServerSpec;
import org.stapfarm.management.ClusterView;
import org.stapfarm.management.ClusterView.Member;
import org.stapfarm.management.ManagementException;
import org.stapfarm.management.ManagementJson;
import org.stapfarm.management.NodeView;
import org.stapfarm.management.ServerIds;
import org.stapfarm.management.ServerView;

/**
 * What `stap-server status` prints about the servers it found (spec §1.10), as upstream's lines or as JSON:
 * this host's recorded servers and, when their node is one of a cluster with other members, every other
 * server of every node, each line ending with the node it runs on. A cluster of one prints exactly what
 * upstream prints.
 */
final class StatusReport {

    /** `status --json`: every node with the servers found on it. */
    record Document(List<NodeJson> nodes) {
    }

    /**
     * A node. For a recorded server whose node no longer runs, {@code address} is null and {@code pid} is the
     * pid it had.
     *
     * @param self      whether it is the node this command asked about the cluster
     * @param reachable whether it answered: otherwise its servers are unknown, but for the recorded ones
     */
    record NodeJson(String address, String host, boolean self, boolean reachable, Long pid, String user,
                    List<ServerJson> servers) {
    }

    /**
     * A server. {@code port} and {@code certinfo} are null unless it runs; {@code statusFile} is there for
     * the servers of this host's status directory only.
     *
     * @param state `running`, `dead` or `unknown` for a recorded server (as its status line says), else what
     *              its node says: `starting`, `running` or `stopping`
     */
    record ServerJson(long id, String nickname, List<String> arguments, String arch, List<String> releases,
                      Integer port, String certinfo, String state,
                      @JsonInclude(JsonInclude.Include.NON_NULL) String statusFile) {
    }

    /** A recorded server and what its node says of it. */
    private record Recorded(Entry entry, Liveness liveness) {
    }

    /**
     * The cluster of this host's nodes, as the first of them that answered sees it.
     *
     * @param thisHost the host name of that node
     */
    private record Cluster(List<Member> members, String thisHost, Set<Long> recordedIds) {

        static final Cluster NONE = new Cluster(List.of(), "", Set.of());

        /** The member that runs (or ran) {@code entry}: the node of this host with the pid in its id. */
        Optional<Member> nodeOf(Entry entry) {
            return members.stream().filter(member -> member.node() != null && member.host().equals(thisHost)
                    && member.node().pid() == ServerIds.nodePid(entry.id())).findFirst();
        }

        /** Whether {@code server} of {@code member} is one of this host's recorded servers, reported as such. */
        boolean recorded(Member member, ServerView server) {
            return member.host().equals(thisHost) && recordedIds.contains(server.id());
        }

        /** How lines name the node that runs {@code entry}: without its address when it no longer runs. */
        String nodeNameOf(Entry entry) {
            return nodeOf(entry).map(StatusReport::nodeName).orElse(thisHost);
        }
    }

    private final NodeAccess nodes;
    private final boolean json;
    private final PrintStream out;
    private final PrintStream err;
    private boolean clusterUnknown;

    StatusReport(NodeAccess nodes, boolean json, PrintStream out, PrintStream err) {
        this.nodes = nodes;
        this.json = json;
        this.out = out;
        this.err = err;
    }

    /** Reports that there is no server to report: {@code message}, on standard error beside an empty JSON. */
    int nothing(String message, int exitCode) {
        if (json) {
            err.println("stap-server: " + message);
            print(new Document(List.of()));
        } else {
            out.println(message);
        }
        return exitCode;
    }

    /**
     * Reports {@code entries} and, {@code clusterWide}, every other server of every node of their cluster.
     * Returns the exit code: the worst finding, 1 over 0 (§5 item 20).
     */
    int servers(List<Entry> entries, boolean clusterWide) {
        List<Recorded> recorded = entries.stream()
                .map(entry -> new Recorded(entry, nodes.liveness(entry.spec().user(), entry.id()))).toList();
        Cluster cluster = clusterWide || json ? cluster(entries) : Cluster.NONE;
        boolean alone = cluster.members().stream().allMatch(Member::self);
        // Alone, the lines are upstream's; JSON has no such past to keep.
        List<Member> listed = clusterWide && (json || !alone) ? cluster.members() : List.of();
        if (json) {
            print(document(recorded, cluster, listed));
        } else {
            recorded.forEach(server -> printLine(server, listed.isEmpty() ? "" : " on node "
                    + cluster.nodeNameOf(server.entry())));
            listed.forEach(member -> printLines(member, cluster));
        }
        boolean unknownOrDead = recorded.stream().anyMatch(server -> server.liveness().state() != State.RUNNING)
                || listed.stream().anyMatch(member -> member.node() == null);
        return unknownOrDead || clusterUnknown ? ServerActions.FAILURE : ServerActions.SUCCESS;
    }

    /** The cluster as the node of the first recorded server's user that answers sees it. */
    private Cluster cluster(List<Entry> entries) {
        Set<Long> recordedIds = entries.stream().map(Entry::id).collect(Collectors.toSet());
        for (String user : entries.stream().map(entry -> entry.spec().user()).distinct().toList()) {
            try {
                Optional<ClusterView> view = nodes.cluster(user);
                if (view.isPresent()) {
                    String thisHost = view.get().members().stream().filter(Member::self).map(Member::host)
                            .findFirst().orElse("");
                    return new Cluster(view.get().members(), thisHost, recordedIds);
                }
            } catch (ManagementException e) {
                err.println("stap-server: cannot ask the node of user " + user + " about its cluster: "
                        + e.getMessage());
                clusterUnknown = true;
            }
        }
        return Cluster.NONE;
    }

    // ---- lines ----

    private void printLine(Recorded server, String where) {
        String shown = "stap-server " + ServerOpts.of(server.entry().shown());
        long id = server.entry().id();
        switch (server.liveness().state()) {
            case RUNNING -> out.println(shown + " running as PID " + id + where);
            case DEAD -> out.println(shown + " started as PID " + id + " is no longer running" + where);
            case UNKNOWN -> {
                out.println(shown + " started as PID " + id + " is in an unknown state" + where);
                err.println("stap-server: " + server.liveness().reason());
            }
        }
    }

    private void printLines(Member member, Cluster cluster) {
        if (!member.reachable()) {
            out.println("node " + nodeName(member) + " is unreachable; its servers are unknown");
        } else if (member.node() == null) {
            out.println("node " + nodeName(member) + " does not answer; its servers are unknown");
        } else {
            for (ServerView server : member.node().servers()) {
                if (!cluster.recorded(member, server)) {
                    out.println("stap-server " + ServerOpts.of(shown(member.node(), server)) + " " + server.state()
                            + " as PID " + server.id() + " on node " + nodeName(member));
                }
            }
        }
    }

    private static String nodeName(Member member) {
        return member.host().isEmpty() ? member.address() : member.host() + " (" + member.address() + ")";
    }

    /** A server of another node as `stap-server` would have described it, from the arguments it runs with. */
    private static ServerSpec shown(NodeView node, ServerView server) {
        ServerSpec started;
        try {
            started = ServerOptionsParser.describe(server.arguments());
        } catch (InvalidOptionsException e) {
            // An option of a newer node: what the server builds for still shows.
            started = ServerSpec.empty();
        }
        return started.withDefaults(server.arch(), server.releases(), node.user(), "").withNickname(server.nickname());
    }

    // ---- JSON ----

    private Document document(List<Recorded> recorded, Cluster cluster, List<Member> listed) {
        Map<String, NodeJson> documented = new LinkedHashMap<>();
        for (Recorded server : recorded) {
            Entry entry = server.entry();
            Optional<Member> member = cluster.nodeOf(entry);
            NodeJson node = member.isPresent()
                    ? documented.computeIfAbsent(member.get().address(), address -> nodeJson(member.get()))
                    : documented.computeIfAbsent("pid " + ServerIds.nodePid(entry.id()), key -> new NodeJson(null,
                            unknownIfEmpty(cluster.thisHost()), false, false, ServerIds.nodePid(entry.id()),
                            entry.spec().user(), new ArrayList<>()));
            Optional<ServerView> running = nodes.server(entry.spec().user(), entry.id());
            node.servers().add(new ServerJson(entry.id(), entry.shown().nickname(), entry.spec().daemonArguments(),
                    entry.spec().arch(), entry.spec().releases(), running.map(ServerView::port).orElse(null),
                    running.map(ServerView::certinfo).orElse(null),
                    server.liveness().state().name().toLowerCase(Locale.ROOT), entry.file().toString()));
        }
        for (Member member : listed) {
            NodeJson node = documented.computeIfAbsent(member.address(), address -> nodeJson(member));
            if (member.node() != null) {
                member.node().servers().stream().filter(server -> !cluster.recorded(member, server))
                        .map(server -> new ServerJson(server.id(), server.nickname(), server.arguments(),
                                server.arch(), server.releases(), server.port(), server.certinfo(), server.state(),
                                null))
                        .forEach(node.servers()::add);
            }
        }
        return new Document(List.copyOf(documented.values()));
    }

    private static NodeJson nodeJson(Member member) {
        NodeView node = member.node();
        return new NodeJson(member.address(), unknownIfEmpty(member.host()), member.self(),
                node != null, node == null ? null : node.pid(), node == null ? null : node.user(), new ArrayList<>());
    }

    /** JSON says "unknown" with null, where the management API says it with an empty string. */
    private static String unknownIfEmpty(String value) {
        return value.isEmpty() ? null : value;
    }

    private void print(Document document) {
        try {
            out.println(ManagementJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(document));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("status records always encode", e);
        }
    }
}
