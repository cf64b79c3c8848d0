package org.stapfarm.cli.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.management.ManagementClient;
import org.stapfarm.management.ManagementJson;
import org.stapfarm.management.NodeEndpoint;
import org.stapfarm.management.NodeView;
import org.stapfarm.management.ServerView;
import org.stapfarm.protocol.SysInfo;

/** The finder against a stand-in for a node's management API. */
class LocalNodeFinderTest {

    @TempDir
    Path tmp;

    @Test
    void oneLinePerReleaseOfEachRunningServer() throws Exception {
        NodeView node = new NodeView(ProcessHandle.current().pid(), "builder", List.of(
                new ServerView(1, "one", List.of(), "x86_64", List.of("6.1.0-47-amd64", "6.1.0-54-amd64"), 36001,
                        "00:aa:bb:cc:dd", "", ServerView.RUNNING),
                new ServerView(2, "two", List.of(), "x86_64", List.of("6.1.0-47-amd64"), 36002, "00:aa:bb:cc:ee",
                        "", ServerView.STARTING)));
        HttpServer api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        api.createContext(ManagementClient.SERVERS_PATH, exchange -> {
            byte[] body = ManagementJson.MAPPER.writeValueAsString(node).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        api.start();
        try {
            NodeEndpoint.create(api.getAddress().getPort(), ProcessHandle.current().pid()).publish(tmp);

            assertEquals(List.of(
                    new FoundServer("build1", "127.0.0.1", 36001, new SysInfo("6.1.0-47-amd64", "x86_64")),
                    new FoundServer("build1", "127.0.0.1", 36001, new SysInfo("6.1.0-54-amd64", "x86_64"))),
                    new LocalNodeFinder(tmp, "build1").find());
        } finally {
            api.stop(0);
        }
    }

    /** A node that died without withdrawing its endpoint is not asked, so nothing waits for a timeout. */
    @Test
    void aDeadNodeRunsNoServers() throws IOException {
        Process finished = new ProcessBuilder("true").start();
        finished.onExit().join();
        NodeEndpoint.create(1, finished.pid()).publish(tmp);
        assertEquals(List.of(), new LocalNodeFinder(tmp, "build1").find());
    }

    @Test
    void withoutAnEndpointNothingIsFound() throws IOException {
        assertEquals(List.of(), new LocalNodeFinder(tmp.resolve("none"), "build1").find());
    }
}
