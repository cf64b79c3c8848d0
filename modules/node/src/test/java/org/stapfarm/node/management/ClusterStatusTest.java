package org.stapfarm.node.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.management.ChangeReport;
import org.stapfarm.management.ChangeRequest;
import org.stapfarm.management.ClusterView;
import org.stapfarm.management.ManagementClient;
import org.stapfarm.management.ServerView;
import org.stapfarm.management.StartRequest;
import org.stapfarm.node.NodeGuardian;
import org.stapfarm.node.NodeSettings;
import org.stapfarm.node.server.ServerSupervisor;
import org.stapfarm.protocol.ThisHost;

/**
 * Three nodes of one cluster in this JVM over Artery on 127.0.0.1, each running a real compile server: the
 * cluster view any node gives lists every node with its own server.
 */
class ClusterStatusTest {

    private static final int FIRST_PORT = 34710;
    private static final int NODES = 3;
    private static final Duration FORMING_TIMEOUT = Duration.ofSeconds(15);

    @TempDir
    static Path identity;
    @TempDir
    static Path nodeDirectory;

    private static final List<ActorSystem<ServerSupervisor.Command>> nodes = new ArrayList<>();

    @BeforeAll
    static void startClusterWithAServerOnEachNode() throws Exception {
        for (int index = 0; index < NODES; index++) {
            nodes.add(startNode(FIRST_PORT + index));
        }
        awaitUntil(() -> nodes.stream().allMatch(node -> upMembers(node) == NODES), "the cluster formed");
        String release = installedRelease();
        // One after the other: the first server creates the identity the others then load.
        for (int index = 0; index < NODES; index++) {
            ActorSystem<ServerSupervisor.Command> node = nodes.get(index);
            ChangeRequest start = ChangeRequest.starting(
                    new StartRequest(List.of("-r" + release, "--ssl=" + identity), "server-of-node-" + index));
            ChangeReport report = AskPattern.<ServerSupervisor.Command, ChangeReport>ask(node,
                    replyTo -> new ServerSupervisor.ApplyChange(start, replyTo), Duration.ofSeconds(60),
                    node.scheduler()).toCompletableFuture().join();
            assertEquals("", report.started().get(0).error());
        }
    }

    private static ActorSystem<ServerSupervisor.Command> startNode(int port) {
        Config config = ConfigFactory.load(ConfigFactory.parseString(
                        "pekko.remote.artery.canonical.hostname = \"127.0.0.1\"\n"
                                + "pekko.remote.artery.canonical.port = " + port + "\n"
                                + "pekko.cluster.seed-nodes = [\"pekko://stapfarm@127.0.0.1:" + FIRST_PORT + "\"]\n"
                                + "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on\n"
                                + "stapfarm.discovery.enabled = off\n")
                .withFallback(ConfigFactory.parseResourcesAnySyntax("application")));
        return ActorSystem.create(NodeGuardian.create(NodeSettings.from(config)), "stapfarm", config);
    }

    private static long upMembers(ActorSystem<?> node) {
        return StreamSupport.stream(Cluster.get(node).state().getMembers().spliterator(), false)
                .filter(member -> member.status().equals(MemberStatus.up())).count();
    }

    /** A release with a build tree, whichever this host has. */
    private static String installedRelease() throws IOException {
        try (Stream<Path> releases = Files.list(Path.of("/lib/modules"))) {
            return releases.filter(release -> Files.isDirectory(release.resolve("build")))
                    .map(release -> release.getFileName().toString()).sorted().findFirst()
                    .orElseThrow(() -> new IllegalStateException("no kernel build tree under /lib/modules; run "
                            + "ops/install-dependencies"));
        }
    }

    @AfterAll
    static void stopNodes() {
        nodes.forEach(ActorSystem::terminate);
        // Artery's teardown may never end (apache/pekko#3247); the test does not wait for it forever.
        CompletableFuture.allOf(nodes.stream().map(node -> node.getWhenTerminated().toCompletableFuture())
                .toArray(CompletableFuture[]::new)).completeOnTimeout(null, 30, TimeUnit.SECONDS).join();
    }

    @Test
    void everyNodeIsListedWithItsServers() throws Exception {
        ManagementClient client = new ManagementClient(
                ManagementApi.start(nodes.get(0), nodeDirectory).toCompletableFuture().join());
        ClusterView[] view = new ClusterView[1];
        // The nodes' supervisors reach each other's receptionists by gossip, within seconds of joining.
        awaitUntil(() -> {
            view[0] = client.cluster();
            return view[0].members().stream().allMatch(member -> member.node() != null);
        }, "every node answered");

        String host = ThisHost.read().hostName();
        List<String> addresses = new ArrayList<>();
        for (int index = 0; index < NODES; index++) {
            addresses.add("127.0.0.1:" + (FIRST_PORT + index));
        }
        assertEquals(addresses, view[0].members().stream().map(ClusterView.Member::address).toList());
        Map<String, List<String>> nicknames = view[0].members().stream().collect(Collectors.toMap(
                ClusterView.Member::address,
                member -> member.node().servers().stream().map(ServerView::nickname).toList()));
        for (int index = 0; index < NODES; index++) {
            assertEquals(List.of("server-of-node-" + index), nicknames.get(addresses.get(index)));
        }
        for (ClusterView.Member member : view[0].members()) {
            assertEquals(member.address().equals(addresses.get(0)), member.self(), member.toString());
            assertTrue(member.reachable(), member.toString());
            assertEquals(host, member.host());
            assertEquals(ProcessHandle.current().pid(), member.node().pid());
            assertEquals(System.getProperty("user.name"), member.node().user());
            ServerView server = member.node().servers().get(0);
            assertEquals(ServerView.RUNNING, server.state());
            assertTrue(server.port() > 0, server.toString());
        }
    }

    private interface Condition {
        boolean holds() throws Exception;
    }

    private static void awaitUntil(Condition condition, String what) throws Exception {
        Instant deadline = Instant.now().plus(FORMING_TIMEOUT);
        while (!condition.holds()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("not within " + FORMING_TIMEOUT.toSeconds() + " s: " + what);
            }
            Thread.sleep(100);
        }
    }
}
