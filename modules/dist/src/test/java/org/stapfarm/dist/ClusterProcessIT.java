package org.stapfarm.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.stapfarm.security.ClusterAuthority;
import org.stapfarm.security.ClusterCredentials;

/**
 * Three nodes as separate processes through the real launcher (`stap-serverd`, as the test user), joined
 * into one cluster over Artery TLS, and the stock `stap` client pointed at node A only. A builds an
 * installed release with the real translator; B and C both build a fake release whose translator is their
 * own copy of the test double, so that a reply says which node compiled. B and C are killed with SIGKILL
 * while requests run on them: no client may hang, each gets a result or a clear `Server:` error. Before that,
 * a fourth node that `stap-server start` launches joins too, and its `stap-server status` lists them all.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterProcessIT {

    private static final int FIRST_PORT = 34720;
    private static final String FARM_RELEASE = "9.2.0-farm";
    private static final Duration CLIENT_BOUND = Duration.ofSeconds(60);
    private static final ClusterAuthority AUTHORITY = ClusterAuthority.create("process test", Duration.ofDays(1),
            Instant.now());
    private static final List<ServerProcess> nodes = new ArrayList<>();
    private static ServerProcess a;
    private static ServerProcess b;
    private static ServerProcess c;
    private static Path translatorB;
    private static Path translatorC;
    private static StapClient client;

    @BeforeAll
    static void startCluster() throws Exception {
        Path farmTree = buildTree(FARM_RELEASE);
        a = start(0, List.of("-r", Releases.first()), Map.of());
        translatorB = SiteConfig.translatorDouble("stap-test-double");
        b = start(1, List.of("-r", farmTree.toString()), Map.of("SYSTEMTAP_STAP", translatorB.toString()));
        translatorC = SiteConfig.translatorDouble("stap-test-double");
        c = start(2, List.of("-r", farmTree.toString()), Map.of("SYSTEMTAP_STAP", translatorC.toString()));
        client = StapClient.trusting(a);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        StapClient.Result probe;
        do {
            probe = compileAtA(FARM_RELEASE, "where:0");
        } while (probe.exitCode() != 0 && System.nanoTime() < deadline);
        assertEquals(0, probe.exitCode(), "the farm release never became routable from A: " + probe.stderr());
    }

    @AfterAll
    static void stopCluster() throws InterruptedException {
        for (ServerProcess node : nodes) {
            node.close();
        }
    }

    @Test
    @Order(1)
    void stapServerStatusListsTheServersOfEveryNode() throws Exception {
        Path credentials = Files.createTempDirectory(Workspace.INSTANCE.root, "node-").resolve("cluster");
        ClusterCredentials.write(credentials, AUTHORITY.issue(List.of("127.0.0.1"), Duration.ofDays(1), Instant.now()));
        TestUser.INSTANCE.own(credentials.getParent());
        Map<String, String> environment = new HashMap<>(SiteConfig.environment());
        environment.putAll(clusterEnvironment(3, credentials));
        try (ManagedHost admin = ManagedHost.create(environment)) {
            Commands.Result started = admin.stapServer("start", "-r", Releases.first(), "--port",
                    Integer.toString(ManagedHost.freePort()));
            assertEquals(0, started.exitCode(), started.stdout() + started.stderr());

            List<String> missing = new ArrayList<>();
            Commands.Result status = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            do {
                status = admin.stapServer("status");
                missing.clear();
                for (int index = 0; index < 4; index++) {
                    Pattern line = Pattern.compile("(?m)^stap-server .* running as PID \\d+ on node \\S+ \\(127\\.0\\.0"
                            + "\\.1:" + (FIRST_PORT + index) + "\\)$");
                    if (!line.matcher(status.stdout()).find()) {
                        missing.add("node " + index);
                    }
                }
            } while (!missing.isEmpty() && System.nanoTime() < deadline && sleep());
            assertEquals(List.of(), missing, status.stdout() + status.stderr());
            assertEquals(0, status.exitCode(), status.stderr());

            Commands.Result json = admin.stapServer("status", "--json");
            assertEquals(0, json.exitCode(), json.stderr());
            JsonNode nodes = new ObjectMapper().readTree(json.stdout()).get("nodes");
            assertEquals(4, nodes.size(), json.stdout());
            nodes.forEach(node -> assertEquals(1, node.get("servers").size(), node.toString()));
            assertEquals(0, admin.stapServer("stop").exitCode());
        }
    }

    @Test
    @Order(2)
    void theStockClientGetsALocalAndARoutedCompileFromTheSameNode() throws Exception {
        StapClient.Result local = client.run("--use-server=" + a.address(), "-r", Releases.first(), "-p2", "-e",
                StapClient.HELLO);
        assertEquals(0, local.exitCode(), local.stderr());
        assertEquals(StapClient.HELLO_PASS_2, local.stdout());

        StapClient.Result routed = compileAtA(FARM_RELEASE, "where:0");
        assertEquals(0, routed.exitCode(), routed.stderr());
        assertTrue(routed.stdout().equals("compiled by " + translatorB + "\n")
                || routed.stdout().equals("compiled by " + translatorC + "\n"), routed.stdout());
    }

    @Test
    @Order(3)
    void killedNodesNeverLeaveAClientHanging() throws Exception {
        List<CompletableFuture<StapClient.Result>> running = compileConcurrentlyAtA(4, 5);
        Thread.sleep(2000);
        b.javaProcess().destroyForcibly();

        for (CompletableFuture<StapClient.Result> result : running) {
            StapClient.Result done = result.get(CLIENT_BOUND.toSeconds(), TimeUnit.SECONDS);
            assertEquals(0, done.exitCode(), done.stderr());
            assertEquals("compiled by " + translatorC + "\n", done.stdout(), "B's requests go to C");
        }

        List<CompletableFuture<StapClient.Result>> lastChance = compileConcurrentlyAtA(2, 6);
        Thread.sleep(2000);
        c.javaProcess().destroyForcibly();
        for (CompletableFuture<StapClient.Result> result : lastChance) {
            StapClient.Result done = result.get(CLIENT_BOUND.toSeconds(), TimeUnit.SECONDS);
            assertTrue(done.exitCode() != 0, done.stdout());
            assertTrue(done.stderr().contains("Server: the node compiling this request was lost (")
                    && done.stderr().contains("no other node of the cluster builds " + FARM_RELEASE + " (x86_64)"),
                    done.stderr());
        }
        StapClient.Result stillServing = client.run("--use-server=" + a.address(), "-r", Releases.first(), "-p2",
                "-e", StapClient.HELLO);
        assertEquals(0, stillServing.exitCode(), stillServing.stderr());
    }

    private static StapClient.Result compileAtA(String release, String script) throws Exception {
        return client.run("--use-server=" + a.address(), "-r", release, "-p2", "-e", script);
    }

    /** Requests that each take about {@code seconds}; no two alike, so that none is answered from the cache. */
    private static List<CompletableFuture<StapClient.Result>> compileConcurrentlyAtA(int count, int seconds) {
        List<CompletableFuture<StapClient.Result>> results = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String script = "where:" + seconds + ".0" + i;
            results.add(RawClient.inBackground(() -> {
                try {
                    return compileAtA(FARM_RELEASE, script);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        return results;
    }

    private static ServerProcess start(int index, List<String> options, Map<String, String> environment)
            throws Exception {
        Path credentials = Files.createTempDirectory(Workspace.INSTANCE.root, "node-").resolve("cluster");
        ClusterCredentials.write(credentials, AUTHORITY.issue(List.of("127.0.0.1"), Duration.ofDays(1), Instant.now()));
        TestUser.INSTANCE.own(credentials.getParent());
        Map<String, String> full = new HashMap<>(SiteConfig.environment());
        full.putAll(environment);
        full.putAll(clusterEnvironment(index, credentials));
        ServerProcess node = ServerProcess.start(options, full);
        nodes.add(node);
        return node;
    }

    private static Map<String, String> clusterEnvironment(int index, Path credentials) {
        return Map.of("STAPFARM_CLUSTER_HOST", "127.0.0.1",
                "STAPFARM_CLUSTER_PORT", Integer.toString(FIRST_PORT + index),
                "STAPFARM_CLUSTER_SEEDS", "127.0.0.1:" + FIRST_PORT,
                "STAPFARM_CLUSTER_CREDENTIALS", credentials.toString());
    }

    private static boolean sleep() throws InterruptedException {
        Thread.sleep(500);
        return true;
    }

    /** A directory the server accepts as the build tree of {@code release} (`-r /path`); the double needs no more. */
    private static Path buildTree(String release) throws IOException, InterruptedException {
        Path tree = TestUser.INSTANCE.newDirectory(Workspace.INSTANCE.root, "tree-");
        Files.createDirectories(tree.resolve("include/config"));
        Files.writeString(tree.resolve("include/config/kernel.release"), release + "\n", StandardCharsets.US_ASCII);
        TestUser.INSTANCE.own(tree);
        return tree;
    }
}
