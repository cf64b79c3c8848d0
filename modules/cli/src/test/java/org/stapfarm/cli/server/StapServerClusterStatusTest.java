package org.stapfarm.cli.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.cli.server.Fixture.Result;
import org.stapfarm.management.ClusterView;
import org.stapfarm.management.ManagementJson;
import org.stapfarm.management.NodeView;
import org.stapfarm.management.ServerView;

/** `stap-server status` when this host's node is one of a cluster: every node's servers, and where each runs. */
class StapServerClusterStatusTest {

    private static final long FIRST = 10004242L;
    private static final long SECOND = 20004242L;
    private static final String ALICE_NODE = " on node testhost (127.0.0.1:34242)";
    private static final ServerView LAB = new ServerView(10000777L, "lab", List.of("-ax86_64", "-r6.1.0-9",
            "--log=/var/log/stap-server/log", "--port=30500"), "x86_64", List.of("6.1.0-9"), 30500, "00:22", "",
            ServerView.RUNNING);
    private static final ServerView STARTED_BY_HAND = new ServerView(20000777L, "20000777",
            List.of("--max-threads", "4"), "aarch64", List.of("6.1.0-9", "6.1.0-10"), 40001, "00:23", "",
            ServerView.STARTING);
    private static final ClusterView.Member BUILD_2 = new ClusterView.Member("10.0.0.2:2552", "build-2", false,
            true, new NodeView(777, "stap-server", List.of(LAB, STARTED_BY_HAND)));

    @TempDir
    Path root;
    Fixture host;

    @BeforeEach
    void setUp() {
        host = new Fixture(root);
    }

    @Test
    void everyServerOfEveryNodeWithWhereItRuns() {
        host.stapServer("start", "--port", "30101");
        host.nodes.otherMembers.add(BUILD_2);
        assertEquals(new Result(0, host.aliceServer(Long.toString(FIRST), " --port \"30101\"") + " running as PID "
                + FIRST + ALICE_NODE + "\n"
                + "stap-server -a \"x86_64\" -r \"6.1.0-9\" -u \"stap-server\" -n \"lab\""
                + " --log \"/var/log/stap-server/log\" --port \"30500\" running as PID 10000777"
                + " on node build-2 (10.0.0.2:2552)\n"
                + "stap-server -a \"aarch64\" -r \"6.1.0-9\" -r \"6.1.0-10\" -u \"stap-server\" -n \"20000777\""
                + " --log \"\" --max-threads \"4\" starting as PID 20000777 on node build-2 (10.0.0.2:2552)\n", ""),
                host.stapServer("status"));
    }

    @Test
    void aServerStartedWithoutStapServerIsListedInAClusterOnly() {
        host.stapServer("start");
        host.stapStartServer("-a", "x86_64", "-r", "6.1.0-test", "--port", "30999");
        assertEquals(1, lines(host.stapServer("status"), 1).size());
        host.nodes.otherMembers.add(BUILD_2);
        List<String> lines = lines(host.stapServer("status"), 4);
        assertEquals("stap-server -a \"x86_64\" -r \"6.1.0-test\" -u \"alice\" -n \"" + SECOND + "\" --log \"\""
                + " --port \"30999\" running as PID " + SECOND + ALICE_NODE, lines.get(1));
        assertEquals(1, ids(json(host.stapServer("status", "--json")).get(0).get("servers")).stream()
                .filter(id -> id == SECOND).count());
    }

    @Test
    void aDeadServerIsShownOnTheNodeThatRanIt() {
        host.stapServer("start");
        host.stapServer("start", "--port", "30102");
        host.nodes.crash(FIRST);
        host.nodes.otherMembers.add(BUILD_2);
        Result result = host.stapServer("status");
        assertEquals(1, result.code());
        assertEquals(List.of(host.aliceServer(Long.toString(FIRST), "") + " started as PID " + FIRST
                        + " is no longer running" + ALICE_NODE,
                host.aliceServer(Long.toString(SECOND), " --port \"30102\"") + " running as PID " + SECOND
                        + ALICE_NODE),
                lines(result, 4).subList(0, 2));
    }

    @Test
    void anUnreachableOrSilentNodeFailsTheStatus() {
        host.stapServer("start");
        host.nodes.otherMembers.add(new ClusterView.Member("10.0.0.3:2552", "", false, false, null));
        host.nodes.otherMembers.add(new ClusterView.Member("10.0.0.4:2552", "", false, true, null));
        assertEquals(new Result(1, host.aliceServer(Long.toString(FIRST), "") + " running as PID " + FIRST
                        + ALICE_NODE + "\n"
                        + "node 10.0.0.3:2552 is unreachable; its servers are unknown\n"
                        + "node 10.0.0.4:2552 does not answer; its servers are unknown\n", ""),
                host.stapServer("status"));
    }

    @Test
    void theServersOfThisHostsOtherNodesAreShownOnceOnTheirOwnNode() {
        host.as("root", 0);
        host.stapServer("start", "-u", "alice");
        host.stapServer("start", "-u", "bob");
        long bobs = 10004243L;
        host.nodes.otherMembers.add(host.nodes.node("bob").member(false));
        host.nodes.otherMembers.add(BUILD_2);
        List<String> lines = lines(host.stapServer("status"), 4);
        assertTrue(lines.get(0).endsWith(" running as PID " + FIRST + ALICE_NODE), lines.get(0));
        assertTrue(lines.get(1).endsWith(" running as PID " + bobs + " on node testhost (127.0.0.1:34243)"),
                lines.get(1));
        assertTrue(lines.get(2).endsWith(" on node build-2 (10.0.0.2:2552)"), lines.get(2));
    }

    @Test
    void aRecordedServerWhoseNodeIsGoneIsShownOnThisHost() {
        host.as("root", 0);
        host.stapServer("start", "-u", "alice");
        host.stapServer("start", "-u", "bob");
        host.nodes.crash(FIRST);
        host.nodes.otherMembers.add(BUILD_2);
        List<String> lines = lines(host.stapServer("status"), 4);
        assertTrue(lines.get(0).endsWith(" started as PID " + FIRST + " is no longer running on node testhost"),
                lines.get(0));
        assertTrue(lines.get(1).endsWith(" on node testhost (127.0.0.1:34243)"), lines.get(1));
    }

    @Test
    void aSelectedServerIsLookedForOnThisHostOnly() {
        host.stapServer("start", "-n", "mine");
        host.nodes.otherMembers.add(BUILD_2);
        assertEquals(new Result(0, host.aliceServer("mine", "") + " running as PID " + FIRST + "\n", ""),
                host.stapServer("status", "-n", "mine"));
        assertEquals(new Result(3, "No configuration found for the nickname 'lab'\n", ""),
                host.stapServer("status", "-n", "lab"));
    }

    @Test
    void aNodeThatCannotTellItsClusterFailsTheStatus() {
        host.stapServer("start");
        host.nodes.clusterFailure = "the node refused the request (HTTP 404)";
        assertEquals(new Result(1, host.aliceServer(Long.toString(FIRST), "") + " running as PID " + FIRST + "\n",
                "stap-server: cannot ask the node of user alice about its cluster: the node refused the request"
                        + " (HTTP 404)\n"), host.stapServer("status"));
    }

    @Test
    void jsonListsEveryNodeWithItsServers() {
        host.stapServer("start", "--port", "30101");
        host.stapServer("start", "--port", "30102");
        host.nodes.crash(SECOND);
        host.nodes.otherMembers.add(BUILD_2);
        host.nodes.otherMembers.add(new ClusterView.Member("10.0.0.3:2552", "", false, false, null));
        Result result = host.stapServer("status", "--json");
        assertEquals(1, result.code(), result.toString());
        assertEquals("", result.err());
        JsonNode nodes = json(result);
        assertEquals(3, nodes.size(), result.out());

        JsonNode alice = nodes.get(0);
        assertEquals("127.0.0.1:34242", alice.get("address").asText());
        assertEquals("testhost", alice.get("host").asText());
        assertTrue(alice.get("self").asBoolean() && alice.get("reachable").asBoolean());
        assertEquals(4242, alice.get("pid").asLong());
        assertEquals("alice", alice.get("user").asText());
        JsonNode running = alice.get("servers").get(0);
        assertEquals(FIRST, running.get("id").asLong());
        assertEquals("running", running.get("state").asText());
        assertEquals(30101, running.get("port").asInt());
        assertEquals(List.of("-ax86_64", "-r6.1.0-test", "--log=" + host.log(), "--port=30101"),
                strings(running.get("arguments")));
        assertEquals(host.statPath().resolve(FIRST + ".stat").toString(), running.get("statusFile").asText());
        JsonNode dead = alice.get("servers").get(1);
        assertEquals(SECOND, dead.get("id").asLong());
        assertEquals("dead", dead.get("state").asText());
        assertTrue(dead.get("port").isNull());

        JsonNode build2 = nodes.get(1);
        assertEquals("build-2", build2.get("host").asText());
        assertFalse(build2.get("self").asBoolean());
        assertEquals(List.of(10000777L, 20000777L), ids(build2.get("servers")));
        JsonNode lab = build2.get("servers").get(0);
        assertEquals("lab", lab.get("nickname").asText());
        assertEquals(List.of("6.1.0-9"), strings(lab.get("releases")));
        assertEquals("00:22", lab.get("certinfo").asText());
        assertFalse(lab.has("statusFile"));
        assertEquals("starting", build2.get("servers").get(1).get("state").asText());

        JsonNode unreachable = nodes.get(2);
        assertFalse(unreachable.get("reachable").asBoolean());
        assertTrue(unreachable.get("host").isNull() && unreachable.get("pid").isNull());
        assertEquals(0, unreachable.get("servers").size());
    }

    @Test
    void jsonWithNothingToReportIsAnEmptyList() {
        Result result = host.stapServer("status", "--json");
        assertEquals(3, result.code());
        assertEquals(0, json(result).size());
        assertEquals("stap-server: No managed stap-server is running\n", result.err());
    }

    @Test
    void jsonIsAnOptionOfStatusOnly() {
        assertEquals(new Result(2, "", "stap-server: --json is an option of status only\n"),
                host.stapServer("start", "--json"));
        assertTrue(host.nodes.changes.isEmpty());
        assertEquals(2, host.stapServer("reload", "--json").code());
    }

    private static List<String> lines(Result result, int count) {
        List<String> lines = result.out().lines().toList();
        assertEquals(count, lines.size(), result.out());
        return lines;
    }

    /** The nodes of a `status --json` document. */
    private static JsonNode json(Result result) {
        try {
            return ManagementJson.MAPPER.readTree(result.out()).get("nodes");
        } catch (JsonProcessingException e) {
            throw new AssertionError("not JSON: " + result, e);
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(value -> values.add(value.asText()));
        return values;
    }

    private static List<Long> ids(JsonNode servers) {
        List<Long> ids = new ArrayList<>();
        servers.forEach(server -> ids.add(server.get("id").asLong()));
        return ids;
    }
}
