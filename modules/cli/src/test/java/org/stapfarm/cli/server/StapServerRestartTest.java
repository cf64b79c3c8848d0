package org.stapfarm.cli.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.cli.server.Fixture.Result;
import org.stapfarm.management.ChangeRequest;
import org.stapfarm.management.StartRequest;

/** `restart`, `condrestart`/`try-restart` and `force-reload` (spec §1.3; §5 items 13 and 14). */
class StapServerRestartTest {

    private static final long FIRST = 10004242L;
    private static final long SECOND = 20004242L;
    private static final long THIRD = 30004242L;
    private static final long FOURTH = 40004242L;

    @TempDir
    Path root;
    Fixture host;
    String defaultOpts;

    @BeforeEach
    void setUp() {
        host = new Fixture(root);
        defaultOpts = "-a \"x86_64\" -r \"6.1.0-test\" -u \"alice\" --log \"" + host.log() + "\"";
    }

    private String withNickname(String nickname) {
        return defaultOpts.replace(" --log", " -n \"" + nickname + "\" --log");
    }

    private List<FakeNodes.Change> changesSince(int before) {
        return host.nodes.changes.subList(before, host.nodes.changes.size());
    }

    @Test
    void restartKeepsNicknameAndFlagsAndAsksTheNodeOnce() {
        host.stapServer("start", "-n", "lab", "-k");
        host.stapServer("start", "--port", "30102");
        int before = host.nodes.changes.size();
        Result result = host.stapServer("restart");
        assertEquals(0, result.code(), result.err());
        assertEquals("Stopping stap-server " + withNickname("lab") + " -k\nOK\n"
                + "Stopping stap-server " + withNickname(Long.toString(SECOND)) + " --port \"30102\"\nOK\n"
                + "Starting stap-server " + withNickname("lab") + " -k\nOK\n"
                + "Starting stap-server " + defaultOpts + " --port \"30102\"\nOK\n", result.out());
        assertEquals(List.of(new FakeNodes.Change("alice", new ChangeRequest(List.of(FIRST, SECOND), List.of(
                new StartRequest(List.of("-ax86_64", "-k", "-r6.1.0-test", "--log=" + host.log()), "lab"),
                new StartRequest(List.of("-ax86_64", "-r6.1.0-test", "--log=" + host.log(), "--port=30102"), ""))))),
                changesSince(before));
        assertEquals(List.of(THIRD + ".stat", FOURTH + ".stat"), host.statusFiles());
        assertTrue(host.statusFile(THIRD).contains("NICKNAME=lab\n"));
        assertTrue(host.statusFile(THIRD).contains("KEEP=yes\n"));
        assertTrue(host.statusFile(FOURTH).contains("NICKNAME=" + FOURTH + "\n"));
    }

    @Test
    void restartWithNothingManagedStartsLikeStart() {
        host.conf("lab.conf", "NICKNAME=lab\n");
        Result result = host.stapServer("restart");
        assertEquals(new Result(0, "Stopping stap-server: OK\nStarting stap-server " + withNickname("lab") + "\nOK\n",
                ""), result);
    }

    @Test
    void restartOfASelectedServerCanChangeItsOptions() {
        host.stapServer("start", "-n", "lab", "--port", "30101");
        host.stapServer("start", "-n", "other");
        int before = host.nodes.changes.size();
        Result result = host.stapServer("restart", "-n", "lab", "-I", "/tapsets");
        assertEquals(0, result.code(), result.err());
        assertEquals(List.of(new FakeNodes.Change("alice", new ChangeRequest(List.of(FIRST), List.of(
                new StartRequest(List.of("-ax86_64", "-r6.1.0-test", "-I/tapsets", "--log=" + host.log(),
                        "--port=30101"), "lab"))))), changesSince(before));
        assertEquals(List.of(SECOND + ".stat", THIRD + ".stat"), host.statusFiles());
    }

    @Test
    void restartOfASpecThatDoesNotRunStartsIt() {
        Result result = host.stapServer("restart", "--port", "30101");
        assertEquals(new Result(0, "Stopping stap-server " + defaultOpts + " --port \"30101\"\nOK\n"
                + "Starting stap-server " + defaultOpts + " --port \"30101\"\nOK\n", ""), result);
    }

    @Test
    void restartBringsBackADeadServer() {
        host.stapServer("start", "-n", "lab");
        host.nodes.crash(FIRST);
        Result result = host.stapServer("restart");
        assertEquals(new Result(0, "Stopping stap-server " + withNickname("lab") + "\nOK\n"
                + "Starting stap-server " + withNickname("lab") + "\nOK\n", ""), result);
        assertEquals(List.of(10004243L + ".stat"), host.statusFiles());
    }

    @Test
    void restartOfAnUnknownIdFails() {
        assertEquals(new Result(1, "No stap-server running as pid 123\n", ""), host.stapServer("restart", "-p", "123"));
    }

    @Test
    void conditionalRestartWithNothingManaged() {
        assertEquals(new Result(0, "No managed stap-server is runningOK\n", ""), host.stapServer("condrestart"));
        assertTrue(host.nodes.changes.isEmpty());
    }

    @Test
    void conditionalRestartLeavesWhatDoesNotRun() {
        host.stapServer("start", "-n", "lab");
        host.stapServer("start", "--port", "30102");
        host.nodes.crash(FIRST);
        int before = host.nodes.changes.size();
        Result result = host.stapServer("try-restart");
        assertEquals(new Result(0, "stap-server " + withNickname("lab") + " is not running\nOK\n"
                + "Stopping stap-server " + withNickname(Long.toString(SECOND)) + " --port \"30102\"\nOK\n"
                + "Starting stap-server " + defaultOpts + " --port \"30102\"\nOK\n", ""), result);
        assertEquals(List.of(SECOND), changesSince(before).get(0).request().stop());
        assertEquals(List.of(THIRD + ".stat"), host.statusFiles());
    }

    @Test
    void conditionalRestartOfASpecThatDoesNotRun() {
        Result result = host.stapServer("condrestart", "--port", "30101");
        assertEquals(new Result(0, "stap-server " + defaultOpts + " --port \"30101\" is not running\nOK\n", ""),
                result);
        assertTrue(host.nodes.changes.isEmpty());
    }

    @Test
    void conditionalRestartOfASelectedServer() {
        host.stapServer("start", "-n", "lab");
        Result result = host.stapServer("condrestart", "-n", "lab");
        assertEquals(new Result(0, "Stopping stap-server " + withNickname("lab") + "\nOK\n"
                + "Starting stap-server " + withNickname("lab") + "\nOK\n", ""), result);
    }

    @Test
    void forceReloadStopsEverythingAndStartsWhatIsConfiguredNow() {
        host.stapServer("start", "--port", "30101");
        host.conf("lab.conf", "NICKNAME=lab\nPORT=30102\n");
        int before = host.nodes.changes.size();
        Result result = host.stapServer("force-reload");
        assertEquals(new Result(0, "Stopping stap-server " + withNickname(Long.toString(FIRST)) + " --port \"30101\""
                + "\nOK\nStarting stap-server " + withNickname("lab") + " --port \"30102\"\nOK\n", ""), result);
        assertEquals(List.of(new FakeNodes.Change("alice", new ChangeRequest(List.of(FIRST), List.of(
                new StartRequest(List.of("-ax86_64", "-r6.1.0-test", "--log=" + host.log(), "--port=30102"),
                        "lab"))))), changesSince(before));
    }

    @Test
    void forceReloadWithNothingManaged() {
        Result result = host.stapServer("force-reload");
        assertEquals(new Result(0, "Stopping stap-server: OK\nStarting stap-server " + defaultOpts + "\nOK\n", ""),
                result);
    }

    @Test
    void forceReloadCountsOnlyTheStartPart() {
        host.stapServer("start");
        host.nodes.stopFailure = "stuck";
        Result result = host.stapServer("force-reload", "--port", "30109");
        assertEquals(0, result.code());
        assertTrue(result.out().startsWith("Stopping stap-server " + withNickname(Long.toString(FIRST))
                + "\nFAILED\nStarting"), result.out());
    }

    @Test
    void restartCountsAFailedStop() {
        host.stapServer("start", "--port", "30101");
        host.nodes.stopFailure = "stuck";
        assertEquals(1, host.stapServer("restart").code());
    }
}
