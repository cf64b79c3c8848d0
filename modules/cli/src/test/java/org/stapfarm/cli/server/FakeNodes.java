package org.stapfarm.cli.server;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.stapfarm.cli.node.Nodes;
import org.stapfarm.config.ServerOptions;
import org.stapfarm.config.ServerOptionsParser;
import org.stapfarm.config.ServerOptionsParser.InvalidOptionsException;
import org.stapfarm.management.ChangeReport;
import org.stapfarm.management.ChangeRequest;
import org.stapfarm.management.ClusterView;
import org.stapfarm.management.ManagementException;
import org.stapfarm.management.NodeManagement;
import org.stapfarm.management.NodeView;
import org.stapfarm.management.ServerIds;
import org.stapfarm.management.ServerView;
import org.stapfarm.management.StartRequest;
import org.stapfarm.security.Certificates;
import org.stapfarm.security.ServerIdentity;

/** Nodes in memory: one per user, exiting when their last server stops, as real nodes do. */
final class FakeNodes implements Nodes {

    /** One generated certificate for every fake server (key generation is slow). */
    static final class Certificate {
        static final X509Certificate X509 = ServerIdentity.generate(List.of("fake"), 2048, Duration.ofDays(30),
                Instant.now()).certificate();
        static final String BASE64 = Base64.getEncoder().encodeToString(Certificates.encode(X509));

        private Certificate() {
        }
    }

    /** Every change any node was asked for, with the user of the node, in order. */
    record Change(String user, ChangeRequest request) {
    }

    final Map<String, FakeNode> running = new LinkedHashMap<>();
    final List<Change> changes = new ArrayList<>();
    final Map<String, Path> nodeLogs = new HashMap<>();
    final Set<String> unreachable = new HashSet<>();
    /** When set, every start fails with this reason, as a node reports a server that does not listen. */
    String startFailure = "";
    /** When set, every stop fails with this reason. */
    String stopFailure = "";
    /** The host name every fake node reports in its cluster. */
    static final String HOST = "testhost";
    /** Members of the cluster every node is in besides itself; empty: each node is a cluster of its own. */
    final List<ClusterView.Member> otherMembers = new ArrayList<>();
    /** When set, asking a node about its cluster fails with this reason. */
    String clusterFailure = "";
    /** The certificate every started server presents, DER in base64. */
    final String certificate = Certificate.BASE64;
    private long nextPid = 4242;

    @Override
    public Optional<NodeManagement> find(String user) throws ManagementException {
        checkReachable(user);
        return Optional.ofNullable(running.get(user));
    }

    @Override
    public NodeManagement findOrStart(String user, Path logFile) throws ManagementException {
        checkReachable(user);
        nodeLogs.put(user, logFile);
        return running.computeIfAbsent(user, key -> new FakeNode(user, nextPid++));
    }

    private void checkReachable(String user) throws ManagementException {
        if (unreachable.contains(user)) {
            throw new ManagementException("cannot read the node endpoint of " + user + ": permission denied");
        }
    }

    FakeNode node(String user) {
        return running.get(user);
    }

    List<ServerView> servers() {
        return running.values().stream().flatMap(node -> node.servers.stream()).toList();
    }

    /** All the start requests sent, in order. */
    List<StartRequest> starts() {
        return changes.stream().flatMap(change -> change.request().start().stream()).toList();
    }

    /** All the ids asked to stop, in order. */
    List<Long> stops() {
        return changes.stream().flatMap(change -> change.request().stop().stream()).toList();
    }

    /** A server that dies by itself; its node exits when it was the last one. */
    void crash(long id) {
        running.values().forEach(node -> node.servers.removeIf(server -> server.id() == id));
        running.values().removeIf(node -> node.servers.isEmpty());
    }

    final class FakeNode implements NodeManagement {
        final String user;
        final long pid;
        final List<ServerView> servers = new ArrayList<>();
        private long sequence;

        FakeNode(String user, long pid) {
            this.user = user;
            this.pid = pid;
        }

        @Override
        public NodeView node() {
            return new NodeView(pid, user, servers);
        }

        @Override
        public ClusterView cluster() throws ManagementException {
            if (!clusterFailure.isEmpty()) {
                throw new ManagementException(clusterFailure);
            }
            List<ClusterView.Member> members = new ArrayList<>(List.of(member(true)));
            members.addAll(otherMembers);
            return new ClusterView(members);
        }

        /** This node as a member of the cluster, its servers as they are now. */
        ClusterView.Member member(boolean self) {
            return new ClusterView.Member("127.0.0.1:" + (30000 + pid), HOST, self, true, node());
        }

        @Override
        public ChangeReport change(ChangeRequest change) {
            changes.add(new Change(user, change));
            List<ChangeReport.Stopped> stopped = new ArrayList<>();
            for (long id : change.stop()) {
                if (stopFailure.isEmpty()) {
                    servers.removeIf(server -> server.id() == id);
                }
                stopped.add(new ChangeReport.Stopped(id, stopFailure));
            }
            List<ChangeReport.Started> started = new ArrayList<>();
            for (StartRequest request : change.start()) {
                started.add(start(request));
            }
            if (servers.isEmpty()) {
                running.remove(user);
            }
            return new ChangeReport(stopped, started);
        }

        private ChangeReport.Started start(StartRequest request) {
            if (!startFailure.isEmpty()) {
                return new ChangeReport.Started(null, startFailure);
            }
            ServerOptions options;
            try {
                options = ServerOptionsParser.parse(request.arguments());
            } catch (InvalidOptionsException e) {
                return new ChangeReport.Started(null, "stap-serverd: " + e.getMessage());
            }
            long id = ServerIds.of(pid, ++sequence);
            String nickname = request.nickname().isEmpty() ? Long.toString(id) : request.nickname();
            ServerView server = new ServerView(id, nickname, request.arguments(), options.arch(), options.releases(),
                    options.port() == 0 ? 40000 + (int) sequence : options.port(), "00:11", certificate,
                    ServerView.RUNNING);
            servers.add(server);
            return new ChangeReport.Started(server, "");
        }
    }
}
