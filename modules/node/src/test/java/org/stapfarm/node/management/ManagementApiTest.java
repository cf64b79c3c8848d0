package org.stapfarm.node.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.management.ChangeReport;
import org.stapfarm.management.ChangeRequest;
import org.stapfarm.management.ClusterView;
import org.stapfarm.management.ManagementClient;
import org.stapfarm.management.ManagementException;
import org.stapfarm.management.NodeEndpoint;
import org.stapfarm.management.NodeView;
import org.stapfarm.management.StartRequest;
import org.stapfarm.node.NodeGuardian;
import org.stapfarm.node.NodeSettings;
import org.stapfarm.node.server.ServerSupervisor;
import org.stapfarm.protocol.ThisHost;

/** A node's management API in-process: access control, listing, changes, and the node's lifetime. */
class ManagementApiTest {

    @TempDir
    Path nodeDirectory;

    private ActorSystem<ServerSupervisor.Command> system;

    private NodeEndpoint startNode(String idleTimeout) {
        Config config = ConfigFactory.parseString("stapfarm.idle-timeout = " + idleTimeout)
                .withFallback(ConfigFactory.load());
        system = ActorSystem.create(NodeGuardian.create(NodeSettings.from(config)), "management-test", config);
        return ManagementApi.start(system, nodeDirectory).toCompletableFuture().join();
    }

    @AfterEach
    void stopNode() {
        if (system != null) {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().join();
        }
    }

    @Test
    void publishesItsEndpointAndListsItsServers() throws Exception {
        NodeEndpoint endpoint = startNode("60s");
        assertEquals(Optional.of(endpoint), NodeEndpoint.read(nodeDirectory));
        NodeView node = new ManagementClient(endpoint).node();
        assertEquals(ProcessHandle.current().pid(), node.pid());
        assertEquals(System.getProperty("user.name"), node.user());
        assertEquals(List.of(), node.servers());
    }

    @Test
    void aNodeWithoutSeedNodesIsAClusterOfOne() throws Exception {
        ClusterView cluster = new ManagementClient(startNode("60s")).cluster();
        assertEquals(1, cluster.members().size(), cluster.toString());
        ClusterView.Member self = cluster.members().get(0);
        assertTrue(self.self() && self.reachable(), self.toString());
        assertTrue(self.address().matches("127\\.0\\.0\\.1:[0-9]+"), self.address());
        assertEquals(ThisHost.read().hostName(), self.host());
        assertEquals(new NodeView(ProcessHandle.current().pid(), System.getProperty("user.name"), List.of()),
                self.node());
    }

    @Test
    void callsWithoutTheTokenAreRefused() throws Exception {
        NodeEndpoint endpoint = startNode("60s");
        HttpClient http = HttpClient.newHttpClient();
        for (String authorization : List.of("", "Bearer ", "Bearer " + endpoint.token() + "0",
                "Basic " + endpoint.token())) {
            HttpRequest.Builder request = HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + endpoint.port() + ManagementClient.SERVERS_PATH));
            if (!authorization.isEmpty()) {
                request.header("Authorization", authorization);
            }
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, response.statusCode(), authorization);
            assertFalse(response.body().contains("\"servers\""));
        }
        ManagementClient wrongToken = new ManagementClient(new NodeEndpoint(endpoint.port(), "0".repeat(64),
                endpoint.pid()));
        ManagementException refused = org.junit.jupiter.api.Assertions.assertThrows(ManagementException.class,
                wrongToken::node);
        assertTrue(refused.getMessage().contains("401"), refused.getMessage());
    }

    @Test
    void aServerThatCannotStartIsReportedAndTheEmptyNodeStops() throws Exception {
        NodeEndpoint endpoint = startNode("60s");
        ChangeReport report = new ManagementClient(endpoint).change(new ChangeRequest(List.of(12_345_678L),
                List.of(new StartRequest(List.of("--max-threads=lots"), "lab"))));
        assertEquals(List.of(new ChangeReport.Stopped(12_345_678L, "no server with id 12345678 runs on this node")),
                report.stopped());
        assertEquals(1, report.started().size());
        assertTrue(report.started().get(0).error().contains("max-threads 'lots' is not a number"),
                report.started().get(0).error());
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(Optional.empty(), NodeEndpoint.read(nodeDirectory), "the endpoint is withdrawn");
    }

    @Test
    void aNodeThatGetsNoServerStopsAfterItsIdleTimeout() throws Exception {
        startNode("1s");
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertFalse(Files.exists(nodeDirectory.resolve("node.json")));
    }

    @Test
    void malformedChangesAreRefusedAndTheNodeKeepsServing() throws Exception {
        NodeEndpoint endpoint = startNode("60s");
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + endpoint.port() + ManagementClient.CHANGES_PATH))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + endpoint.token())
                .POST(HttpRequest.BodyPublishers.ofString("{\"stop\": \"all\"")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, response.statusCode());
        assertTrue(response.body().startsWith("not a change request"), response.body());
        assertEquals(List.of(), new ManagementClient(endpoint).node().servers());
    }
}
