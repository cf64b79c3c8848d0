package org.stapfarm.cli.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.cli.server.Fixture.Result;
import org.stapfarm.management.ChangeRequest;
import org.stapfarm.management.StartRequest;
import org.stapfarm.security.FilePermissions;
import org.stapfarm.security.TrustDatabase;

/** `stap-server start` and `stop` (spec §1.3, §1.9, §1.10, §1.12). */
class StapServerStartStopTest {

    private static final long FIRST = 10004242L;
    private static final long SECOND = 20004242L;

    @TempDir
    Path root;
    Fixture host;
    String defaultOpts;

    @BeforeEach
    void setUp() {
        host = new Fixture(root);
        defaultOpts = "-a \"x86_64\" -r \"6.1.0-test\" -u \"alice\" --log \"" + host.log() + "\"";
    }

    @Test
    void startWithNothingConfiguredStartsTheDefaultServer() {
        Result result = host.stapServer("start");
        assertEquals(new Result(0, "Starting stap-server " + defaultOpts + "\nOK\n", ""), result);
        assertEquals(List.of(new FakeNodes.Change("alice", ChangeRequest.starting(new StartRequest(
                List.of("-ax86_64", "-r6.1.0-test", "--log=" + host.log()), "")))), host.nodes.changes);
        assertEquals(host.logFile(), host.nodes.nodeLogs.get("alice"));
        assertEquals("""
                ARCH=x86_64
                USER=alice
                NICKNAME=10004242
                RUNTIME=
                RELEASE+=6.1.0-test
                LOG=%s
                PORT=
                SSL=
                MAXTHREADS=
                MAXREQSIZE=
                MAXCOMPRESSEDREQ=
                KEEP=no
                PROMPT=no
                """.formatted(host.log()), host.statusFile(FIRST));
    }

    @Test
    void startAppendsTheManagementLog() {
        host.stapServer("start");
        assertEquals("Nov  1 22:05:25: Starting stap-server " + defaultOpts + "\n"
                + "Nov  1 22:05:25: Pass: stap-server start " + defaultOpts + "\n", host.managementLog());
    }

    @Test
    void aRunningServerIsNotStartedTwice() {
        host.stapServer("start", "--port", "30101");
        Result again = host.stapServer("start", "--port", "30101");
        assertEquals(new Result(0, "Starting stap-server " + defaultOpts + " --port \"30101\"\nOK\n", ""), again);
        assertEquals(1, host.nodes.starts().size());
        assertEquals(List.of(FIRST + ".stat"), host.statusFiles());
    }

    @Test
    void aServerThatDoesNotStartIsReportedWithTheNodesReason() {
        host.nodes.startFailure = "stap-serverd: port 30101 is in use";
        Result result = host.stapServer("start", "--port", "30101");
        assertEquals(1, result.code());
        assertEquals("Starting stap-server " + defaultOpts + " --port \"30101\"\nFAILED\n", result.out());
        assertEquals("Unable to start a systemtap server: stap-serverd: port 30101 is in use\n", result.err());
        assertEquals(List.of(), host.statusFiles());
        assertTrue(host.managementLog().contains(": Error: stap-server start " + defaultOpts + " --port \"30101\"\n"
                + "Nov  1 22:05:25: Error: stap-serverd: port 30101 is in use\n"), host.managementLog());
    }

    @Test
    void theInvokingUserCannotStartServersForSomeoneElse() {
        Result result = host.stapServer("start", "-u", "bob");
        assertEquals(1, result.code());
        assertTrue(result.out().endsWith("FAILED\n"), result.out());
        assertEquals("Unable to start a systemtap server: only root can start a server as another user (bob); as"
                + " alice, leave out -u and STAP_USER or name yourself\n", result.err());
        assertTrue(host.nodes.changes.isEmpty());
    }

    @Test
    void serversNeverRunAsRoot() {
        host.as("root", 0);
        Result result = host.stapServer("start");
        assertEquals(1, result.code());
        assertEquals("Starting stap-server -a \"x86_64\" -r \"6.1.0-test\" -u \"root\" --log \"" + host.log()
                + "\"\nFAILED\n", result.out());
        assertTrue(result.err().contains("compile servers never run as root: name their user with -u USER or"
                + " STAP_USER"), result.err());
        assertTrue(host.nodes.changes.isEmpty());
    }

    @Test
    void rootStartsServersForTheUserItNames() {
        host.as("root", 0);
        host.variables.put("STAP_USER", "stap-server");
        assertEquals(0, host.stapServer("start").code());
        assertEquals(0, host.stapServer("start", "-u", "bob").code());
        assertEquals(List.of("stap-server", "bob"), List.copyOf(host.nodes.running.keySet()));
        assertTrue(host.statusFile(10004242L).contains("USER=stap-server\n"));
        assertTrue(host.statusFile(10004243L).contains("USER=bob\n"));
    }

    /** The system service's servers are trusted by every user of the host, through the all-users database. */
    @Test
    void serversRootStartsAreTrustedByEveryUser() throws Exception {
        host.as("root", 0);
        Result result = host.stapServer("start", "-u", "stap-server");
        assertEquals(0, result.code(), result.err());
        assertEquals("", result.err());

        Path global = root.resolve("etc/systemtap/ssl/client");
        assertEquals(List.of(FakeNodes.Certificate.X509), new TrustDatabase(global, OptionalLong.of(
                FilePermissions.currentUid()), true).read().peers());
        assertTrue(Files.readString(host.logFile()).contains("Server " + FIRST + " (certificate 00:11) is trusted by"
                + " every user of this host: " + global), Files.readString(host.logFile()));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(global)));
    }

    /** A failure to trust is reported, but the server runs. */
    @Test
    void aGlobalDatabaseOthersCanWriteIsNotUsed() throws Exception {
        host.as("root", 0);
        Path global = Files.createDirectories(root.resolve("etc/systemtap/ssl/client"));
        Files.setPosixFilePermissions(global, PosixFilePermissions.fromString("rwxrwxrwx"));

        Result result = host.stapServer("start", "-u", "stap-server");

        assertEquals(0, result.code());
        assertTrue(result.out().endsWith("OK\n"), result.out());
        assertEquals("stap-server: server " + FIRST + " is not trusted by every user of this host (" + global + "):"
                + " Certificate database '" + global + "' is writable by group or others (mode 0777); refusing to use"
                + " it\n", result.err());
        assertFalse(Files.exists(global.resolve("cert9.db")));
    }

    /** An ordinary user's server is trusted by that user, which its node sees to (protocol spec 4.10). */
    @Test
    void serversOfOrdinaryUsersAreNotTrustedForEveryone() {
        assertEquals(0, host.stapServer("start").code());
        assertFalse(Files.exists(root.resolve("etc/systemtap/ssl/client")));
    }

    @Test
    void twoServersWithDifferentReleasesAreTwoServers() {
        assertEquals(0, host.stapServer("start", "-r", "6.1.0-a").code());
        assertEquals(0, host.stapServer("start", "-r", "6.1.0-b").code());
        assertEquals(List.of(FIRST + ".stat", SECOND + ".stat"), host.statusFiles());
        Result status = host.stapServer("status", "-r", "6.1.0-b");
        assertEquals("stap-server -a \"x86_64\" -r \"6.1.0-b\" -u \"alice\" -n \"" + SECOND + "\" --log \""
                + host.log() + "\" running as PID " + SECOND + "\n", status.out());
    }

    @Test
    void stopWithNothingManaged() {
        Result result = host.stapServer("stop");
        assertEquals(new Result(0, "Stopping stap-server: OK\n", ""), result);
        assertTrue(host.nodes.changes.isEmpty());
        assertEquals("Nov  1 22:05:25: Stopping stap-server: \n"
                + "Nov  1 22:05:25: Pass: stap-server: No managed servers to stop\n", host.managementLog());
    }

    @Test
    void stopStopsEveryManagedServerInOneRequestPerNode() {
        host.stapServer("start", "--port", "30101");
        host.stapServer("start", "--port", "30102", "-n", "lab");
        int before = host.nodes.changes.size();
        Result result = host.stapServer("stop");
        assertEquals(new Result(0, "Stopping stap-server " + opts(FIRST, "30101") + "\nOK\n"
                + "Stopping stap-server " + opts("lab", "30102") + "\nOK\n", ""), result);
        assertEquals(List.of(new FakeNodes.Change("alice", new ChangeRequest(List.of(FIRST, SECOND), List.of()))),
                host.nodes.changes.subList(before, host.nodes.changes.size()));
        assertEquals(List.of(), host.statusFiles());
        assertTrue(host.nodes.running.isEmpty());
    }

    @Test
    void stopByIdPicksExactlyThatServer() {
        host.stapServer("start");
        host.stapServer("start", "--port", "30102");
        Result result = host.stapServer("stop", "-p", Long.toString(SECOND));
        assertEquals(new Result(0, "Stopping stap-server " + opts(SECOND, "30102") + "\nOK\n", ""), result);
        assertEquals(List.of(SECOND), host.nodes.stops());
        assertEquals(List.of(FIRST + ".stat"), host.statusFiles());
    }

    @Test
    void stopBySpecStopsTheMatchingServer() {
        host.stapServer("start");
        host.stapServer("start", "--port", "30102");
        assertEquals(0, host.stapServer("stop", "--port", "30102").code());
        assertEquals(List.of(SECOND), host.nodes.stops());
    }

    @Test
    void stopOfAServerThatDoesNotRunIsOk() {
        Result result = host.stapServer("stop", "--port", "30109");
        assertEquals(new Result(0, "Stopping stap-server " + defaultOpts + " --port \"30109\"\nOK\n", ""), result);
    }

    @Test
    void stopOfAnUnknownIdFails() {
        Result result = host.stapServer("stop", "-p", "4711");
        assertEquals(new Result(1, "No stap-server running as pid 4711\n", ""), result);
    }

    @Test
    void stopOfAnUnknownNicknameFails() {
        Result result = host.stapServer("stop", "-n", "nobody");
        assertEquals(new Result(1, "No configuration found for the nickname 'nobody'\nFAILED\n", ""), result);
    }

    @Test
    void stopByNickname() {
        host.stapServer("start", "-n", "lab");
        host.stapServer("start", "--port", "30102");
        Result result = host.stapServer("stop", "-n", "lab");
        assertEquals(new Result(0, "Stopping stap-server " + defaultOpts.replace(" --log", " -n \"lab\" --log")
                + "\nOK\n", ""), result);
        assertEquals(List.of(FIRST), host.nodes.stops());
    }

    @Test
    void aServerThatDoesNotStopKeepsItsStatusFile() {
        host.stapServer("start");
        host.nodes.stopFailure = "still draining after 60 s";
        Result result = host.stapServer("stop");
        assertEquals(1, result.code());
        assertEquals("Stopping stap-server " + opts(FIRST, "") + "\nFAILED\n", result.out());
        assertEquals("stap-server: cannot stop server " + FIRST + ": still draining after 60 s\n", result.err());
        assertEquals(List.of(FIRST + ".stat"), host.statusFiles());
    }

    @Test
    void stopRemovesTheStatusFileOfADeadServerAndLogsIt() {
        host.stapServer("start");
        host.nodes.crash(FIRST);
        Result result = host.stapServer("stop");
        assertEquals(new Result(0, "Stopping stap-server " + opts(FIRST, "") + "\nOK\n", ""), result);
        assertEquals(List.of(), host.statusFiles());
        assertEquals(List.of(), host.nodes.stops());
        assertTrue(host.managementLog().contains("Removed the status file " + host.statPath().resolve(FIRST + ".stat")
                + " of server " + FIRST + ", which is no longer running"), host.managementLog());
    }

    @Test
    void nicknamesStickAndAreUnique() {
        assertEquals(0, host.stapServer("start", "-n", "lab", "--port", "30101").code());
        assertTrue(host.statusFile(FIRST).contains("NICKNAME=lab\n"));
        Result clash = host.stapServer("start", "-n", "lab", "--port", "30102");
        assertEquals(1, clash.code());
        assertEquals("Unable to start a systemtap server: the nickname lab belongs to server " + FIRST
                + ", which runs with other options; use restart -n lab to change them, or choose another nickname\n",
                clash.err());
        assertEquals(1, host.nodes.starts().size());
        Result same = host.stapServer("start", "-n", "lab");
        assertEquals(new Result(0, "Starting stap-server " + opts("lab", "30101") + "\nOK\n", ""), same);
        assertEquals(1, host.nodes.starts().size());
    }

    @Test
    void aNewNicknameNamesANewServer() {
        Result result = host.stapServer("start", "-n", "lab");
        assertEquals(new Result(0, "Starting stap-server " + opts("lab", "") + "\nOK\n", ""), result);
        assertEquals("lab", host.nodes.starts().get(0).nickname());
    }

    @Test
    void kIsRecordedWithTheServer() {
        host.stapServer("start", "-k");
        assertTrue(host.statusFile(FIRST).contains("KEEP=yes\nPROMPT=no\n"));
        assertTrue(host.nodes.starts().get(0).arguments().contains("-k"));
    }

    @Test
    void statusAndStopLockTheRegistryOnlyWhenChanging() throws Exception {
        host.stapServer("status");
        assertFalse(Files.exists(host.statPath()));
        assertFalse(Files.exists(host.logFile().getParent()));
        host.stapServer("stop");
        assertTrue(Files.exists(host.statPath().resolve(".lock")));
    }

    @Test
    void aServerThatMayStillRunIsNotStartedAgain() {
        host.stapServer("start");
        host.nodes.unreachable.add("alice");
        Result result = host.stapServer("start");
        assertEquals(1, result.code());
        assertEquals("Unable to start a systemtap server: server " + FIRST + " with these options may still run"
                + " (cannot reach the node of user alice: cannot read the node endpoint of alice: permission denied)\n",
                result.err());
        assertEquals(1, host.nodes.starts().size());
    }

    @Test
    void aServerThatCannotBeRecordedIsStoppedAgain() throws Exception {
        Files.createDirectories(host.statPath().resolve(FIRST + ".stat/in-the-way"));
        Result result = host.stapServer("start");
        assertEquals(1, result.code());
        assertTrue(result.err().startsWith("Unable to start a systemtap server: cannot write its status file in "
                + host.statPath() + ": "), result.err());
        assertTrue(result.err().endsWith("; it was stopped again\n"), result.err());
        assertEquals(List.of(FIRST), host.nodes.stops());
        assertTrue(host.nodes.running.isEmpty());
    }

    private String opts(long id, String port) {
        return opts(Long.toString(id), port);
    }

    private String opts(String nickname, String port) {
        return defaultOpts.replace(" --log", " -n \"" + nickname + "\" --log")
                + (port.isEmpty() ? "" : " --port \"" + port + "\"");
    }
}
