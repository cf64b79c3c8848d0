package org.stapfarm.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.stapfarm.management.ChangeReport;
import org.stapfarm.management.ChangeRequest;
import org.stapfarm.management.StartRequest;
import org.stapfarm.node.NodeGuardian;
import org.stapfarm.node.server.ServerSupervisor;
import org.stapfarm.security.ClusterAuthority;
import org.stapfarm.security.ClusterCredentials;

/**
 * Nodes of one cluster as actor systems in this JVM, over real Artery TLS with certificates of a test
 * cluster CA, each with a compile server whose translator is its own copy of the test double
 * `stap-test-double` (so a reply tells which node compiled) and whose releases are fake build trees.
 * Clients talk to node A only; A has release only-a, B only-b and shared, C only-c and shared.
 */
class ClusterRoutingIT {

    private static final int FIRST_PORT = 34740;
    private static final Duration UP_TIMEOUT = Duration.ofSeconds(40);
    private static final ClusterAuthority AUTHORITY = ClusterAuthority.create("routing test", Duration.ofDays(1),
            Instant.now());
    private static final Path IDENTITY = TestFiles.directory("cluster-identity-");
    private static final List<ActorSystem<ServerSupervisor.Command>> systems = new ArrayList<>();
    private static TestNode a;
    private static TestNode b;
    private static TestNode c;

    /** A node in this JVM and the port and translator of its one compile server. */
    private record TestNode(ActorSystem<ServerSupervisor.Command> system, int port, Path translator) {
        RawClient.Reply compile(String release, String script) throws IOException {
            return RawClient.trusting(IDENTITY.resolve("stap.cert"), port)
                    .exchange(RequestZip.request(release).argv("-r" + release, "-p2", "-e" + script).build(),
                            Duration.ofSeconds(90));
        }
    }

    @BeforeAll
    static void startCluster() throws Exception {
        a = start(0, AUTHORITY, "9.1.0-only-a");
        b = start(1, AUTHORITY, "9.1.0-only-b", "9.1.0-shared");
        c = start(2, AUTHORITY, "9.1.0-only-c", "9.1.0-shared");
        awaitUpMembers(a, 3);
        for (String release : List.of("9.1.0-only-a", "9.1.0-only-b", "9.1.0-only-c", "9.1.0-shared")) {
            awaitRoutable(a, release);
        }
    }

    @AfterAll
    static void stopCluster() {
        systems.forEach(ActorSystem::terminate);
        systems.forEach(ClusterRoutingIT::awaitTerminated);
    }

    @Test
    void aReleaseOnlyAnotherNodeHasIsCompiledThereAndAnsweredHere() throws IOException {
        RawClient.Reply reply = a.compile("9.1.0-only-c", "where:0");

        assertEquals(0, reply.rc(), reply.stderr());
        assertEquals("compiled by " + c.translator() + "\n", reply.stdout());
    }

    @Test
    void requestsForAReleaseTwoNodesHaveAreSpreadOverBoth() throws Exception {
        List<CompletableFuture<RawClient.Reply>> replies = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            replies.add(RawClient.inBackground(() -> {
                try {
                    return a.compile("9.1.0-shared", "where:2");
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        Map<String, Long> byNode = new java.util.TreeMap<>();
        for (CompletableFuture<RawClient.Reply> reply : replies) {
            assertEquals(0, reply.get().rc(), reply.get().stderr());
            byNode.merge(reply.get().stdout().strip(), 1L, Long::sum);
        }

        assertEquals(Map.of("compiled by " + b.translator(), 3L, "compiled by " + c.translator(), 3L), byNode);
    }

    @Test
    void aModuleOfSeveralMegabytesArrivesByteForByte() throws Exception {
        RawClient.Reply reply = a.compile("9.1.0-only-b", "module:6000000");

        assertEquals(0, reply.rc(), reply.stderr());
        byte[] module = reply.files().entrySet().stream()
                .filter(entry -> entry.getKey().endsWith("/stap_big.ko"))
                .map(Map.Entry::getValue)
                .findFirst().orElseThrow(() -> new AssertionError("no module in " + reply.files().keySet()));
        assertEquals(6_000_000, module.length);
        String printedByTheTranslator = reply.stdout().split(" ")[0];
        assertEquals(printedByTheTranslator,
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(module)));
    }

    @Test
    void aReleaseNoNodeHasIsRefusedNamingEveryReleaseOfTheCluster() throws IOException {
        RawClient.Reply reply = a.compile("9.9.9-nowhere", "where:0");

        assertEquals(1, reply.rc());
        assertTrue(reply.stderr().contains("Target kernel version 9.9.9-nowhere (x86_64) is not supported by this"
                + " server. Available: 9.1.0-only-a x86_64, 9.1.0-only-b x86_64, 9.1.0-only-c x86_64,"
                + " 9.1.0-shared x86_64."), reply.stderr());
    }

    @Test
    void aNodeJoiningLaterServesItsReleaseAndWhenItLeavesFinishesWhatItHasFirst() throws Exception {
        TestNode late = start(3, AUTHORITY, "9.1.0-only-late");
        awaitUpMembers(a, 4);
        awaitRoutable(a, "9.1.0-only-late");

        CompletableFuture<RawClient.Reply> inFlight = RawClient.inBackground(() -> {
            try {
                return a.compile("9.1.0-only-late", "where:4");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(1500);
        late.system().terminate();

        RawClient.Reply reply = inFlight.get();
        assertEquals(0, reply.rc(), reply.stderr());
        assertEquals("compiled by " + late.translator() + "\n", reply.stdout());
        // Leaving comes before the actor system's own teardown; A must see it gone.
        awaitUpMembers(a, 3);
        RawClient.Reply afterwards = a.compile("9.1.0-only-late", "where:0");
        assertEquals(1, afterwards.rc());
        assertFalse(afterwards.stderr().contains("only-late x86_64"), afterwards.stderr());
    }

    @Test
    void aNodeWithACertificateOfAnotherAuthorityCannotJoin() throws Exception {
        ClusterAuthority stranger = ClusterAuthority.create("another farm", Duration.ofDays(1), Instant.now());
        TestNode intruder = start(4, stranger, "9.1.0-only-intruder");
        try {
            Thread.sleep(10_000);
            assertEquals(Set.of(MemberStatus.up()), Set.copyOf(upMembers(a).values()));
            assertEquals(3, upMembers(a).size(), "members of A: " + upMembers(a));
            assertTrue(upMembers(intruder).isEmpty(), "the intruder is a member of " + upMembers(intruder));
            RawClient.Reply reply = a.compile("9.1.0-only-intruder", "where:0");
            assertEquals(1, reply.rc());
        } finally {
            intruder.system().terminate();
        }
    }

    /**
     * Pekko's teardown of an actor system with Artery over TLS now and then never completes after the node
     * has left ("actor-system-terminate timed out"); the node process exits anyway (see Node), and a test
     * must not wait forever for it either.
     */
    private static void awaitTerminated(ActorSystem<?> system) {
        try {
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            System.err.println("ClusterRoutingIT: " + system + " did not terminate within 30 s; going on");
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    private static TestNode start(int index, ClusterAuthority authority, String... releases) throws Exception {
        Path directory = TestFiles.directory("cluster-node-" + index + "-");
        Path credentials = directory.resolve("cluster");
        ClusterCredentials.write(credentials, authority.issue(List.of("127.0.0.1"), Duration.ofDays(1), Instant.now()));
        Path translator = SiteConfig.translatorDouble("stap-test-double");
        List<String> arguments = new ArrayList<>(List.of("--port", "0"));
        for (String release : releases) {
            arguments.add("-r");
            arguments.add(buildTree(directory, release).toString());
        }
        String settings = String.join("\n",
                "stapfarm.translator = \"" + translator + "\"",
                "stapfarm.systemtap-directory = \"" + directory.resolve("systemtap") + "\"",
                "stapfarm.identity.directory = \"" + IDENTITY + "\"",
                "stapfarm.idle-timeout = 1h",
                "stapfarm.cluster.host = \"127.0.0.1\"",
                "stapfarm.cluster.port = " + (FIRST_PORT + index),
                "stapfarm.cluster.seed-nodes = [\"127.0.0.1:" + FIRST_PORT + "\"]",
                "stapfarm.cluster.credentials-directory = \"" + credentials + "\"",
                Workspace.NO_DNS_SD,
                "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on");
        ActorSystem<ServerSupervisor.Command> system =
                NodeGuardian.start(ConfigFactory.parseString(settings).withFallback(ConfigFactory.load()).resolve());
        systems.add(system);
        ChangeReport report = AskPattern.<ServerSupervisor.Command, ChangeReport>ask(system,
                replyTo -> new ServerSupervisor.ApplyChange(ChangeRequest.starting(new StartRequest(arguments, "")),
                        replyTo), Duration.ofMinutes(2), system.scheduler()).toCompletableFuture().get();
        ChangeReport.Started started = report.started().get(0);
        assertTrue(started.ok(), started.error());
        return new TestNode(system, started.server().port(), translator);
    }

    /** A directory the server accepts as a kernel build tree of {@code release} (`-r /path`). */
    private static Path buildTree(Path directory, String release) throws IOException {
        Path tree = directory.resolve("trees").resolve(release);
        Files.createDirectories(tree.resolve("include/config"));
        Files.writeString(tree.resolve("include/config/kernel.release"), release + "\n", StandardCharsets.US_ASCII);
        return tree;
    }

    private static Map<String, MemberStatus> upMembers(TestNode node) {
        return StreamSupport.stream(Cluster.get(node.system()).state().getMembers().spliterator(), false)
                .filter(member -> member.status() == MemberStatus.up())
                .collect(Collectors.toMap(member -> member.address().toString(), member -> member.status()));
    }

    private static void awaitUpMembers(TestNode node, int count) throws InterruptedException {
        long deadline = System.nanoTime() + UP_TIMEOUT.toNanos();
        while (upMembers(node).size() != count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected " + count + " members up, found " + upMembers(node));
            }
            Thread.sleep(200);
        }
    }

    /** Waits until the Receptionist has told the node's router about a pool building {@code release}. */
    private static void awaitRoutable(TestNode node, String release) throws Exception {
        long deadline = System.nanoTime() + UP_TIMEOUT.toNanos();
        Set<String> seen = new TreeSet<>();
        while (true) {
            RawClient.Reply reply = node.compile(release, "where:0");
            if (reply.rc() == 0) {
                return;
            }
            seen.add(reply.stderr().strip());
            if (System.nanoTime() > deadline) {
                throw new AssertionError(release + " never became routable: " + seen);
            }
            Thread.sleep(300);
        }
    }
}
