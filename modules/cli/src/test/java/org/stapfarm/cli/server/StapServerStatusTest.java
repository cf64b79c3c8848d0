package org.stapfarm.cli.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.cli.server.Fixture.Result;

/** `stap-server status` (spec §1.3, §1.10, §1.11; §5 items 20, 21, 26 and 27). */
class StapServerStatusTest {

    private static final long FIRST = 10004242L;
    private static final long SECOND = 20004242L;

    @TempDir
    Path root;
    Fixture host;

    @BeforeEach
    void setUp() {
        host = new Fixture(root);
    }

    @Test
    void nothingManaged() {
        assertEquals(new Result(3, "No managed stap-server is running\n", ""), host.stapServer("status"));
    }

    @Test
    void aRunningServer() {
        host.stapServer("start", "--port", "30101");
        assertEquals(new Result(0, host.aliceServer(Long.toString(FIRST), " --port \"30101\"") + " running as PID "
                + FIRST + "\n", ""), host.stapServer("status"));
    }

    @Test
    void aDeadServerIsReportedButItsFileStays() {
        host.stapServer("start", "-n", "lab");
        host.stapServer("start", "--port", "30102");
        host.nodes.crash(FIRST);
        long logSize = host.managementLog().length();
        Result result = host.stapServer("status");
        assertEquals(new Result(1, host.aliceServer("lab", "") + " started as PID " + FIRST + " is no longer running\n"
                + host.aliceServer(Long.toString(SECOND), " --port \"30102\"") + " running as PID " + SECOND + "\n",
                ""), result);
        assertEquals(List.of(FIRST + ".stat", SECOND + ".stat"), host.statusFiles());
        assertEquals(logSize, host.managementLog().length());
    }

    @Test
    void aServerWhoseNodeIsGoneIsDead() {
        host.stapServer("start");
        host.nodes.running.clear();
        Result result = host.stapServer("status");
        assertEquals(1, result.code());
        assertEquals(host.aliceServer(Long.toString(FIRST), "") + " started as PID " + FIRST
                + " is no longer running\n",
                result.out());
    }

    @Test
    void aServerIsAliveOnlyIfItsOwnNodeListsItsExactId() {
        host.stapServer("start");
        // A status file whose id differs by a digit from a live one, as upstream's substring test confused.
        host.write("run/stap-server/1004242.stat", host.statusFile(FIRST).replace(FIRST + "", "1004242"));
        Result result = host.stapServer("status", "-p", "1004242");
        assertEquals(1, result.code());
        assertTrue(result.out().endsWith(" started as PID 1004242 is no longer running\n"), result.out());
    }

    @Test
    void aNodeThatCannotBeReachedLeavesTheStateUnknown() {
        host.stapServer("start");
        host.nodes.unreachable.add("alice");
        Result result = host.stapServer("status");
        assertEquals(1, result.code());
        assertEquals(host.aliceServer(Long.toString(FIRST), "") + " started as PID " + FIRST
                + " is in an unknown state\n",
                result.out());
        assertEquals("stap-server: cannot reach the node of user alice: cannot read the node endpoint of alice:"
                + " permission denied\n", result.err());
    }

    @Test
    void exitCodesTakeTheWorstFindingNotTheLast() {
        host.stapServer("start");
        host.stapServer("start", "--port", "30102");
        host.nodes.crash(FIRST);
        assertEquals(1, host.stapServer("status").code());
    }

    @Test
    void onlyNumericStatusFilesAreServers() {
        host.stapServer("start");
        host.write("run/stap-server/README", "not a server\n");
        host.write("run/stap-server/12ab.stat", "ARCH=x\n");
        host.write("run/stap-server/README.stat", "ARCH=x\n");
        Result result = host.stapServer("status");
        assertEquals(0, result.code());
        assertEquals(1, result.out().lines().count());
    }

    @Test
    void aSpecifiedServerThatDoesNotRun() {
        assertEquals(new Result(3, "stap-server -a \"i386\" -r \"6.1.0-test\" -u \"alice\" --log \"" + host.log()
                + "\" is not running\n", ""), host.stapServer("status", "-a", "i386"));
    }

    @Test
    void aSpecifiedServerMatchesWholeLists() {
        host.stapServer("start", "-r", "A", "-r", "B", "-I", "/i1", "-I", "/i2");
        assertEquals(0, host.stapServer("status", "-r", "B", "-r", "A", "-I", "/i1", "-I", "/i2").code());
        assertEquals(3, host.stapServer("status", "-r", "A", "-r", "X", "-I", "/i1", "-I", "/zzz").code());
    }

    @Test
    void byNickname() {
        host.stapServer("start", "-n", "lab", "--port", "30101");
        assertEquals(new Result(0, host.aliceServer("lab", " --port \"30101\"") + " running as PID " + FIRST + "\n",
                ""), host.stapServer("status", "-n", "lab"));
        assertEquals(new Result(3, "No configuration found for the nickname 'other'\n", ""),
                host.stapServer("status", "-n", "other"));
    }

    @Test
    void byIdSelectsThatServerEvenWithATwin() {
        host.stapServer("start");
        host.stapServer("start", "--port", "30102");
        Result result = host.stapServer("status", "-p", Long.toString(FIRST));
        assertEquals(new Result(0, host.aliceServer(Long.toString(FIRST), "") + " running as PID " + FIRST + "\n",
                ""), result);
        assertEquals(new Result(1, "No stap-server running as pid 99\n", ""), host.stapServer("status", "-p", "99"));
    }

    @Test
    void aConfiguredServerThatDoesNotRun() {
        host.conf("lab.conf", "NICKNAME=lab\nPORT=30101\n");
        assertEquals(new Result(3, host.aliceServer("lab", " --port \"30101\"") + " is not running\n", ""),
                host.stapServer("status", "-n", "lab"));
    }

    @Test
    void statusChangesNothing() {
        host.stapServer("start");
        host.nodes.crash(FIRST);
        Path log = host.logFile();
        String before = host.managementLog();
        host.stapServer("status");
        host.stapServer("status", "-p", Long.toString(FIRST));
        assertEquals(before, Fixture.read(log));
        assertEquals(List.of(FIRST + ".stat"), host.statusFiles());
        assertFalse(host.nodes.changes.size() > 1);
    }

    @Test
    void aMalformedStatusFileIsAnError() throws Exception {
        Files.createDirectories(host.statPath());
        host.write("run/stap-server/10004242.stat", "ARCH=x86_64\nPORTT=1\n");
        Result result = host.stapServer("status");
        assertEquals(1, result.code());
        assertTrue(result.err().startsWith("stap-server: " + host.statPath().resolve("10004242.stat")
                + ":2: unknown variable PORTT"), result.err());
    }
}
