package org.stapfarm.cli.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.cli.server.Fixture.Result;
import org.stapfarm.management.StartRequest;

/** `stap-start-server` and `stap-stop-server` (spec §1.12, §2.2, §2.3). */
class HelperCommandsTest {

    private static final long FIRST = 10004242L;

    @TempDir
    Path root;
    Fixture host;

    @BeforeEach
    void setUp() {
        host = new Fixture(root);
    }

    @Test
    void startServerPrintsTheIdAndRecordsNothing() {
        Result result = host.stapStartServer("--port", "30101", "-r", "6.1");
        assertEquals(new Result(0, FIRST + "\n", ""), result);
        assertEquals(List.of(new StartRequest(List.of("--port", "30101", "-r", "6.1"), "")), host.nodes.starts());
        assertEquals(host.logFile(), host.nodes.nodeLogs.get("alice"));
        assertEquals(List.of(), host.statusFiles());
    }

    @Test
    void startServerRefusesBadOptionsWithoutStartingANode() {
        Result result = host.stapStartServer("--port", "http");
        assertEquals(new Result(1, "", "Unable to start a systemtap server: invalid entry: port 'http'"
                + " is not a number\n"), result);
        assertTrue(host.nodes.changes.isEmpty());
    }

    @Test
    void startServerReportsTheNodesReason() {
        host.nodes.startFailure = "cannot listen on port 80: Permission denied";
        Result result = host.stapStartServer("--port", "80");
        assertEquals(new Result(1, "", "Unable to start a systemtap server: cannot listen on port 80: Permission"
                + " denied\n"), result);
    }

    @Test
    void startServerNeverStartsARootServer() {
        host.as("root", 0);
        Result result = host.stapStartServer();
        assertEquals(1, result.code());
        assertEquals("", result.out());
        assertTrue(result.err().startsWith("Unable to start a systemtap server: compile servers never run as root"));
        assertTrue(host.nodes.changes.isEmpty());
    }

    @Test
    void startServerReportsAnUnreachableNode() {
        host.nodes.unreachable.add("alice");
        assertEquals(new Result(1, "", "Unable to start a systemtap server: cannot read the node endpoint of alice:"
                + " permission denied\n"), host.stapStartServer());
    }

    @Test
    void stopServerWantsExactlyOneId() {
        assertEquals(new Result(1, "", "Usage: stap-stop-server PROCESS_ID\n"), host.stapStopServer());
        assertEquals(new Result(1, "", "Usage: stap-stop-server PROCESS_ID\n"), host.stapStopServer("1", "2"));
    }

    @Test
    void stopServerStopsOnlyAServerANodeLists() {
        host.stapStartServer();
        assertEquals(new Result(1, "", "1 is not a systemtap server\n"), host.stapStopServer("1"));
        assertEquals(new Result(1, "", "4242 is not a systemtap server\n"), host.stapStopServer("4242"));
        assertEquals(new Result(1, "", "x1 is not a systemtap server\n"), host.stapStopServer("x1"));
        assertTrue(host.nodes.stops().isEmpty());
        assertEquals(new Result(0, "", ""), host.stapStopServer(Long.toString(FIRST)));
        assertEquals(List.of(FIRST), host.nodes.stops());
        assertTrue(host.nodes.running.isEmpty());
    }

    @Test
    void stopServerReportsAServerThatDoesNotStop() {
        host.stapStartServer();
        host.nodes.stopFailure = "still draining";
        assertEquals(new Result(1, "", FIRST + " not shutting down: still draining\n"),
                host.stapStopServer(Long.toString(FIRST)));
    }

    @Test
    void rootStopsAServerOfTheUserItsStatusFileNames() {
        host.as("root", 0);
        host.stapServer("start", "-u", "bob");
        long id = 10004242L;
        assertEquals(new Result(0, "", ""), host.stapStopServer(Long.toString(id)));
        assertEquals(List.of(id), host.nodes.stops());
    }

    @Test
    void anOrdinaryUserCannotStopSomeoneElsesServer() {
        host.as("root", 0);
        host.stapServer("start", "-u", "bob");
        host.as("alice", 1000);
        assertEquals(new Result(1, "", "10004242 is not a systemtap server\n"), host.stapStopServer("10004242"));
        assertTrue(host.nodes.stops().isEmpty());
    }
}
