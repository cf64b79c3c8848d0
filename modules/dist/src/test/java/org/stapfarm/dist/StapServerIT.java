package org.stapfarm.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * `stap-server` as an administrator uses it: the real launcher, real background nodes run as the
 * unprivileged test user, the real translator, and the stock `stap` client compiling through the servers.
 */
class StapServerIT {

    private static final String ARCH = "x86_64";

    @Test
    void startStatusCompileStop() throws Exception {
        try (ManagedHost host = ManagedHost.create()) {
            String release = Releases.first();
            int port = ManagedHost.freePort();
            String opts = "-a \"" + ARCH + "\" -r \"" + release + "\" -u \"" + TestUser.INSTANCE.name
                    + "\" --log \"" + host.logFile + "\" --port \"" + port + "\"";

            Commands.Result start = host.stapServer("start", "-r", release, "--port", Integer.toString(port));
            assertEquals(0, start.exitCode(), start.toString());
            assertEquals("Starting stap-server " + opts + "\nOK\n", start.stdout());
            List<String> ids = host.statusFileIds();
            assertEquals(1, ids.size(), ids.toString());
            String id = ids.get(0);

            Commands.Result status = host.stapServer("status");
            assertEquals(0, status.exitCode(), status.toString());
            assertEquals("stap-server " + opts.replace(" --log", " -n \"" + id + "\" --log") + " running as PID "
                    + id + "\n", status.stdout());

            StapClient client = StapClient.create();
            assertEquals(0, client.trust("127.0.0.1:" + port).exitCode());
            StapClient.Result compiled = client.run("--use-server=127.0.0.1:" + port, "-r", release, "-p2", "-e",
                    StapClient.HELLO);
            assertEquals(0, compiled.exitCode(), compiled.stderr());
            assertTrue(compiled.stdout().contains(StapClient.HELLO_PASS_2), compiled.stdout());

            Commands.Result again = host.stapServer("start", "-r", release, "--port", Integer.toString(port));
            assertEquals(0, again.exitCode(), again.toString());
            assertEquals(ids, host.statusFileIds(), "an identical running server is not started twice");

            Commands.Result stop = host.stapServer("stop");
            assertEquals(0, stop.exitCode(), stop.toString());
            assertTrue(stop.stdout().startsWith("Stopping stap-server " + opts.replace(" --log", " -n \"" + id
                    + "\" --log")), stop.stdout());
            assertTrue(host.awaitNodeGone(Duration.ofSeconds(60)), "the node exits with its last server");
            assertEquals(List.of(), host.statusFileIds());

            Commands.Result none = host.stapServer("status");
            assertEquals(3, none.exitCode(), none.toString());
            assertEquals("No managed stap-server is running\n", none.stdout());
        }
    }

    @Test
    void twoServersWithDifferentReleasesShareOneNodeAndStopPidStopsExactlyOne() throws Exception {
        List<String> releases = Releases.installed();
        assertTrue(releases.size() >= 2, "this test needs two installed kernel build trees: " + releases);
        try (ManagedHost host = ManagedHost.create()) {
            int firstPort = ManagedHost.freePort();
            int secondPort = ManagedHost.freePort();
            assertEquals(0, host.stapServer("start", "-n", "first", "-r", releases.get(0), "--port",
                    Integer.toString(firstPort)).exitCode());
            long node = host.nodePid().orElseThrow();
            assertEquals(0, host.stapServer("start", "-n", "second", "-r", releases.get(1), "--port",
                    Integer.toString(secondPort)).exitCode());
            assertEquals(node, host.nodePid().orElseThrow(), "both servers live in one node");

            Commands.Result status = host.stapServer("status");
            assertEquals(0, status.exitCode(), status.toString());
            assertEquals(2, status.stdout().lines().filter(line -> line.contains(" running as PID ")).count(),
                    status.stdout());
            assertTrue(status.stdout().contains("-n \"first\""), status.stdout());
            assertTrue(status.stdout().contains("-n \"second\""), status.stdout());

            StapClient client = StapClient.create();
            assertEquals(0, client.trust("127.0.0.1:" + firstPort).exitCode());
            assertCompiles(client, firstPort, releases.get(0));
            assertCompiles(client, secondPort, releases.get(1));
            // The node pools its servers' releases: the first server answers for the second one's release.
            assertCompiles(client, firstPort, releases.get(1));

            String firstId = idOf(host, "first");
            Commands.Result stop = host.stapServer("stop", "-p", firstId);
            assertEquals(0, stop.exitCode(), stop.toString());
            assertTrue(stop.stdout().contains("-n \"first\""), stop.stdout());
            assertFalse(stop.stdout().contains("-n \"second\""), stop.stdout());
            assertEquals(List.of(idOf(host, "second")), host.statusFileIds());
            assertCompiles(client, secondPort, releases.get(1));
            assertEquals(node, host.nodePid().orElseThrow(), "the node keeps serving its other server");

            Commands.Result unknown = host.stapServer("stop", "-p", "12345");
            assertEquals(1, unknown.exitCode(), unknown.toString());
            assertTrue(unknown.stdout().contains("No stap-server running as pid 12345"), unknown.toString());
        }
    }

    /**
     * force-reload after the configuration changed, while a request is being compiled: the request is
     * answered, then the server comes back with the new configuration.
     */
    @Test
    void forceReloadAppliesTheNewConfigurationAndFinishesTheRequestInFlight() throws Exception {
        String release = Releases.first();
        int port = ManagedHost.freePort();
        try (ManagedHost host = ManagedHost.create(
                Map.of("SYSTEMTAP_STAP", SiteConfig.translatorDouble("stap-test-double").toString()))) {
            host.writeServerConfig("lab.conf", "NICKNAME=lab\nRELEASE=" + release + "\nPORT=" + port + "\n");
            Commands.Result start = host.stapServer("start");
            assertEquals(0, start.exitCode(), start.toString());
            String before = host.statusFileIds().get(0);

            RawClient raw = RawClient.trusting(host.serverCertificate(), port);
            CompletableFuture<RawClient.Reply> inFlight = RawClient.inBackground(() -> {
                try {
                    return raw.exchange(RequestZip.request(release).argv("-r" + release, "-p2",
                            "-esleep:6:inflight").build(), Duration.ofSeconds(60));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            Thread.sleep(1500);

            host.writeServerConfig("lab.conf", "NICKNAME=lab\nRELEASE=" + release + "\nPORT=" + port
                    + "\nMAXTHREADS=3\n");
            Commands.Result reload = host.stapServer("force-reload");
            assertEquals(0, reload.exitCode(), reload.toString());
            assertTrue(reload.stdout().contains("Stopping stap-server"), reload.stdout());
            assertTrue(reload.stdout().contains("--max-threads \"3\""), reload.stdout());

            RawClient.Reply reply = inFlight.get(60, TimeUnit.SECONDS);
            assertEquals(0, reply.rc(), reply.toString());
            assertTrue(reply.stdout().contains("inflight finished"), reply.stdout());

            List<String> after = host.statusFileIds();
            assertEquals(1, after.size(), after.toString());
            assertNotEquals(before, after.get(0), "a new server replaced the old one");
            Commands.Result status = host.stapServer("status");
            assertTrue(status.stdout().contains("-n \"lab\""), "the nickname survives: " + status.stdout());
            RawClient.Reply quick = raw.exchange(
                    RequestZip.request(release).argv("-r" + release, "-p2", "-equick").build(), Duration.ofSeconds(60));
            assertEquals(0, quick.rc(), quick.toString());
        }
    }

    /** The node of the last stop may still be shutting down when the next start needs a node. */
    @Test
    void aStartRightAfterTheLastStopGetsANewNode() throws Exception {
        try (ManagedHost host = ManagedHost.create()) {
            String release = Releases.first();
            assertEquals(0, host.stapServer("start", "-r", release).exitCode());
            long first = host.nodePid().orElseThrow();
            assertEquals(0, host.stapServer("stop").exitCode());
            Commands.Result again = host.stapServer("start", "-r", release);
            assertEquals(0, again.exitCode(), again.toString());
            assertNotEquals(first, host.nodePid().orElseThrow());
            assertTrue(again.elapsed().compareTo(Duration.ofSeconds(30)) < 0, again.toString());
        }
    }

    @Test
    void startDashIServesEveryInstalledRelease() throws Exception {
        try (ManagedHost host = ManagedHost.create()) {
            int port = ManagedHost.freePort();
            Commands.Result start = host.stapServer("start", "-i", "--port", Integer.toString(port));
            assertEquals(0, start.exitCode(), start.toString());
            StapClient client = StapClient.create();
            assertEquals(0, client.trust("127.0.0.1:" + port).exitCode());
            for (String release : Releases.installed()) {
                assertTrue(start.stdout().contains("-r \"" + release + "\""), start.stdout());
                assertCompiles(client, port, release);
            }
        }
    }

    /** A node killed outright leaves status files behind: status reports them, stop clears them. */
    @Test
    void serversOfAKilledNodeAreReportedDeadUntilStopped() throws Exception {
        try (ManagedHost host = ManagedHost.create()) {
            assertEquals(0, host.stapServer("start", "-n", "doomed", "-r", Releases.first()).exitCode());
            String id = host.statusFileIds().get(0);
            ProcessHandle node = ProcessHandle.of(host.nodePid().orElseThrow()).orElseThrow();
            node.destroyForcibly();
            node.onExit().get(30, TimeUnit.SECONDS);

            Commands.Result status = host.stapServer("status");
            assertEquals(1, status.exitCode(), status.toString());
            assertTrue(status.stdout().contains("-n \"doomed\"") && status.stdout().contains(
                    "started as PID " + id + " is no longer running"), status.stdout());
            assertEquals(List.of(id), host.statusFileIds(), "status only reports");

            Commands.Result stop = host.stapServer("stop");
            assertEquals(0, stop.exitCode(), stop.toString());
            assertEquals(List.of(), host.statusFileIds());
            assertEquals(3, host.stapServer("status").exitCode());
        }
    }

    @Test
    void badInputIsRefusedAndNothingStartsHalfWay() throws Exception {
        try (ManagedHost host = ManagedHost.create()) {
            Commands.Result unknownAction = host.stapServer("frobnicate");
            assertEquals(2, unknownAction.exitCode(), unknownAction.toString());

            Commands.Result badPort = host.stapServer("start", "--port", "http");
            assertNotEquals(0, badPort.exitCode(), badPort.toString());
            assertTrue(host.nodePid().isEmpty());

            host.writeServerConfig("good.conf", "RELEASE=" + Releases.first() + "\n");
            host.writeServerConfig("typo.conf", "RELEASE=" + Releases.first() + "\nexport PORT=1\n");
            Commands.Result broken = host.stapServer("start");
            assertEquals(1, broken.exitCode(), broken.toString());
            assertTrue(broken.stderr().contains("typo.conf") && broken.stderr().contains(":2"), broken.stderr());
            assertEquals(List.of(), host.statusFileIds(), "good.conf was not started either");
            assertTrue(host.nodePid().isEmpty(), "no node was started");

            Commands.Result statusWithBrokenConfig = host.stapServer("status", "-n", "nosuch");
            assertEquals(1, statusWithBrokenConfig.exitCode(), "every action that reads conf.d stops at the error");
            Files.delete(host.configDirectory.resolve("typo.conf"));

            TestFiles.write(host.configDirectory.resolve("secret.conf"), "PORT=1\n", "---------");
            Commands.Result unreadable = host.stapServer("start");
            assertEquals(1, unreadable.exitCode(), unreadable.toString());
            assertTrue(unreadable.stderr().contains("secret.conf"), unreadable.stderr());
            assertEquals(List.of(), host.statusFileIds());
            Files.delete(host.configDirectory.resolve("secret.conf"));
            Commands.Result unknownNickname = host.stapServer("stop", "-n", "nosuch");
            assertEquals(1, unknownNickname.exitCode(), unknownNickname.toString());
            assertTrue(unknownNickname.stdout().contains("No configuration found for the nickname 'nosuch'"),
                    unknownNickname.toString());
        }
    }

    @Test
    void stapStartServerAndStapStopServer() throws Exception {
        try (ManagedHost host = ManagedHost.create()) {
            String release = Releases.first();
            int port = ManagedHost.freePort();
            Commands.Result started = host.run("stap-start-server", "-r", release, "--port=" + port);
            assertEquals(0, started.exitCode(), started.toString());
            String id = started.stdout().strip();
            assertTrue(id.matches("\\d{8,}"), started.stdout());

            StapClient client = StapClient.create();
            assertEquals(0, client.trust("127.0.0.1:" + port).exitCode());
            assertCompiles(client, port, release);

            Commands.Result stopped = host.run("stap-stop-server", id);
            assertEquals(0, stopped.exitCode(), stopped.toString());
            assertEquals("", stopped.stdout());
            assertTrue(host.awaitNodeGone(Duration.ofSeconds(60)));

            Commands.Result again = host.run("stap-stop-server", id);
            assertEquals(1, again.exitCode(), again.toString());
            assertTrue(again.stderr().contains(id + " is not a systemtap server"), again.stderr());

            Commands.Result usage = host.run("stap-stop-server");
            assertEquals(1, usage.exitCode(), usage.toString());
            assertTrue(usage.stderr().contains("Usage: stap-stop-server PROCESS_ID"), usage.stderr());

            Commands.Result failed = host.run("stap-start-server", "--max-threads=many");
            assertEquals(1, failed.exitCode(), failed.toString());
            assertEquals("", failed.stdout());
            assertTrue(failed.stderr().startsWith("Unable to start a systemtap server: "), failed.stderr());
            assertTrue(failed.stderr().contains("max-threads"), failed.stderr());
        }
    }

    /**
     * As root: servers run as the user `-u` names, never as root; root's files are handed over; every user of
     * the host trusts them, through the all-users database (moved to the test's own `TRUST_PATH`, so the
     * host's /etc/systemtap stays as it is).
     */
    @Test
    void rootStartsServersAsTheNamedUserOnly() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to switch users");
        Path base = TestFiles.directory("root-admin-");
        Path config = TestFiles.write(base.resolve("stap-server.conf"), "CONFIG_PATH=" + base.resolve("conf.d")
                + "\nSTAT_PATH=" + base.resolve("run") + "\nLOG_FILE=" + base.resolve("log/stap-server.log")
                + "\nTRUST_PATH=" + base.resolve("trust") + "\n",
                "rw-r--r--");
        String release = Releases.first();
        int port = ManagedHost.freePort();
        Duration timeout = Duration.ofMinutes(3);
        String stapServer = Workspace.INSTANCE.bin("stap-server").toString();

        Commands.Result asRoot = Commands.run(List.of(stapServer, "start", "-c", config.toString(), "-r", release),
                timeout);
        assertEquals(1, asRoot.exitCode(), asRoot.toString());
        assertTrue(asRoot.stderr().contains("root"), asRoot.stderr());

        Commands.Result start = Commands.run(List.of(stapServer, "start", "-c", config.toString(), "-u",
                TestUser.INSTANCE.name, "-r", release, "--port", Integer.toString(port)), timeout);
        try {
            assertEquals(0, start.exitCode(), start.toString());
            assertTrue(start.stdout().contains("-u \"" + TestUser.INSTANCE.name + "\""), start.stdout());
            Commands.Result status = Commands.run(List.of(stapServer, "status", "-c", config.toString()), timeout);
            assertEquals(0, status.exitCode(), status.toString());
            String id = status.stdout().strip().substring(status.stdout().strip().lastIndexOf(' ') + 1);
            long nodePid = id.isEmpty() ? 0 : Long.parseLong(id) % 10_000_000L;
            ProcessHandle node = ProcessHandle.of(nodePid).orElseThrow(() -> new AssertionError(status.stdout()));
            assertEquals(TestUser.INSTANCE.name, node.info().user().orElse(""), "the node runs as the -u user");
            Commands.Result trusted = Commands.run(List.of("certutil", "-L", "-d", "sql:" + base.resolve("trust")),
                    timeout);
            assertTrue(trusted.stdout().matches("(?s).*\\nstap-server +P,P,P\\n.*"), trusted.stdout());
        } finally {
            Commands.Result stop = Commands.run(List.of(stapServer, "stop", "-c", config.toString()), timeout);
            assertEquals(0, stop.exitCode(), stop.toString());
        }
    }

    private static void assertCompiles(StapClient client, int port, String release) throws Exception {
        StapClient.Result compiled = client.run("--use-server=127.0.0.1:" + port, "-r", release, "-p2", "-e",
                StapClient.HELLO);
        assertEquals(0, compiled.exitCode(), compiled.stderr());
        assertTrue(compiled.stdout().contains(StapClient.HELLO_PASS_2), compiled.stdout());
    }

    private static String idOf(ManagedHost host, String nickname) throws Exception {
        return host.stapServer("status", "-n", nickname).stdout().lines()
                .filter(line -> line.contains(" running as PID "))
                .map(line -> line.substring(line.lastIndexOf(' ') + 1))
                .findFirst().orElseThrow(() -> new AssertionError("no running server nicknamed " + nickname));
    }
}
