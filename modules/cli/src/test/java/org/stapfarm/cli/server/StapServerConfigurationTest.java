package org.stapfarm.cli.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.cli.server.Fixture.Result;
import org.stapfarm.config.StapServerSettings;

/** The configuration layers of `stap-server` (spec §1.7, §1.8, §6; §5 items 2, 12, 15, 18, 28-32). */
class StapServerConfigurationTest {

    @TempDir
    Path root;
    Fixture host;

    @BeforeEach
    void setUp() {
        host = new Fixture(root);
    }

    private void assertNothingChanged(Result result) {
        assertEquals(1, result.code());
        assertEquals("", result.out());
        assertTrue(host.nodes.changes.isEmpty());
        assertFalse(Files.exists(host.statPath()));
        assertFalse(Files.exists(host.logFile()));
    }

    @Test
    void configuredServersStartInNameOrderEachFromAFreshDefaultedState() {
        host.conf("b.conf", "NICKNAME=second\n");
        host.conf("a.conf", "PORT=30203\nARCH=i386\nRELEASE=6.1\nRELEASE+=6.2\n");
        host.conf("notes.txt", "not a configuration\n");
        Result result = host.stapServer("start");
        assertEquals(0, result.code(), result.err());
        String log = " --log \"" + host.log() + "\"";
        assertEquals("Starting stap-server -a \"i386\" -r \"6.1\" -r \"6.2\" -u \"alice\"" + log
                + " --port \"30203\"\nOK\n"
                + "Starting stap-server -a \"x86_64\" -r \"6.1.0-test\" -u \"alice\" -n \"second\"" + log + "\nOK\n",
                result.out());
        assertEquals(1, host.nodes.changes.size());
        assertEquals(List.of("-ax86_64", "-r6.1.0-test", "--log=" + host.log()),
                host.nodes.starts().get(1).arguments());
        assertEquals("second", host.nodes.starts().get(1).nickname());
        assertTrue(host.statusFile(20004242L).contains("NICKNAME=second\n"));
    }

    @Test
    void theFileSyntaxEdgeCases() {
        host.conf("lab.conf", """
                # a comment
                   # an indented one

                \tARCH=i386
                INCLUDE=/i1
                INCLUDE+=
                INCLUDE+=()
                INCLUDE+=/i#2
                BUILD='V=1 W=2'
                DEFINE=X=1
                DEFINE=()
                USER=  alice\s\s
                SSL=/ssl/#not-a-comment
                MAXTHREADS=2""");
        assertEquals(0, host.stapServer("start").code());
        assertEquals(List.of("-ai386", "-r6.1.0-test", "-BV=1 W=2", "-I/i1", "-I/i#2", "--log=" + host.log(),
                "--ssl=/ssl/#not-a-comment", "--max-threads=2"), host.nodes.starts().get(0).arguments());
    }

    @Test
    void anUnknownVariableStopsEverythingWithItsFileAndLine() {
        host.conf("a.conf", "PORT=30101\n");
        Path bad = host.conf("b.conf", "ARCH=i386\nPROT=30102\n");
        Result result = host.stapServer("start");
        assertNothingChanged(result);
        assertTrue(result.err().startsWith("stap-server: " + bad + ":2: unknown variable PROT (known: "), result.err());
    }

    @Test
    void aSyntaxErrorStopsEverything() {
        host.conf("a.conf", "PORT=30101\n");
        Path bad = host.conf("b.conf", "export PORT=1\n");
        Result result = host.stapServer("force-reload");
        assertNothingChanged(result);
        assertEquals("stap-server: " + bad + ":1: invalid variable name 'export PORT' (expected letters, digits and _,"
                + " not starting with a digit)\n", result.err());
    }

    @Test
    void aValueTheServerWouldRefuseStopsEverything() {
        Path bad = host.conf("a.conf", "PORT=http\n");
        Result result = host.stapServer("start");
        assertNothingChanged(result);
        assertEquals("stap-server: " + bad + ": invalid entry: port 'http' is not a number\n", result.err());
    }

    @Test
    void aNicknameConfiguredTwiceStopsEverything() {
        Path first = host.conf("a.conf", "NICKNAME=lab\n");
        Path second = host.conf("b.conf", "NICKNAME=lab\nPORT=1\n");
        Result result = host.stapServer("start");
        assertNothingChanged(result);
        assertEquals("stap-server: " + second + ": NICKNAME lab is already the nickname of " + first
                + "; nicknames must be unique\n", result.err());
    }

    @Test
    void unreadableFilesAreErrors() throws Exception {
        Path latin1 = host.conf("a.conf", "");
        Files.write(latin1, "LOG=/var/log/caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        Result result = host.stapServer("start");
        assertNothingChanged(result);
        assertEquals("stap-server: " + latin1 + ": cannot read: not valid UTF-8 text\n", result.err());
        Path directory = Files.createDirectories(root.resolve("cfg.d"));
        assertEquals(new Result(1, "", "stap-server: " + directory + ": cannot read: is a directory\n"),
                host.stapServer("status", "-c", directory.toString()));
    }

    @Test
    void aFileTheUserCannotReadIsAnError() throws Exception {
        assumeFalse(host.environment().isRoot() || "root".equals(System.getProperty("user.name")),
                "root reads every file");
        Path locked = host.conf("a.conf", "PORT=1\n");
        Files.setPosixFilePermissions(locked, java.util.Set.of());
        Result result = host.stapServer("start");
        assertNothingChanged(result);
        assertEquals("stap-server: " + locked + ": cannot read: permission denied\n", result.err());
    }

    @Test
    void aMissingExplicitConfigurationFileIsAnError() {
        Path missing = root.resolve("missing.conf");
        assertEquals(new Result(1, "", "stap-server: " + missing + ": cannot read: no such file\n"),
                host.stapServer("start", "-c", missing.toString()));
        assertTrue(host.nodes.changes.isEmpty());
    }

    @Test
    void anUnknownGlobalVariableIsAnError() {
        Path global = host.write("etc/sysconfig/stap-server", "STAP_USER=alice\nCONFIGPATH=/x\n");
        Result result = host.stapServer("status");
        assertEquals(new Result(1, "", "stap-server: " + global + ":2: unknown variable CONFIGPATH (known:"
                + " CONFIG_PATH, STAT_PATH, LOG_FILE, STAP_USER, TRUST_PATH)\n"), result);
    }

    @Test
    void theLayersApplyInOrderAndDefaultsComeAfterThem() {
        host.write("etc/sysconfig/stap-server", "LOG_FILE=" + root.resolve("sys.log") + "\nSTAT_PATH="
                + root.resolve("sys-run") + "\n");
        Path extra = host.write("extra.conf", "LOG_FILE=" + root.resolve("extra.log"));
        host.stapServer("start", "-c", extra.toString(), "--port", "30101");
        List<String> arguments = host.nodes.starts().get(0).arguments();
        assertTrue(arguments.contains("--log=" + root.resolve("extra.log")), arguments.toString());
        assertTrue(Files.exists(root.resolve("sys-run/10004242.stat")));
        assertTrue(Fixture.read(root.resolve("extra.log")).contains("Pass: stap-server start"));
        assertEquals(root.resolve("extra.log"), host.nodes.nodeLogs.get("alice"));
    }

    @Test
    void stapUserComesFromTheConfigurationThenTheEnvironmentThenTheInvoker() {
        host.as("root", 0);
        host.variables.put("STAP_USER", "from-env");
        host.stapServer("start");
        host.write("etc/sysconfig/stap-server", "STAP_USER=from-config\n");
        host.stapServer("start");
        assertEquals(List.of("from-env", "from-config"), List.copyOf(host.nodes.running.keySet()));
    }

    @Test
    void selectorsAreResolvedAgainstTheLoadedConfiguration() {
        Path conf = root.resolve("elsewhere/conf.d");
        host.write("elsewhere/conf.d/lab.conf", "NICKNAME=lab\nPORT=30101\nINCLUDE=/i1\n");
        Path global = host.write("global.conf", "CONFIG_PATH=" + conf + "\n");
        Result result = host.stapServer("start", "-c", global.toString(), "-n", "lab", "-I", "/i2", "-a", "i386");
        assertEquals(0, result.code(), result.err());
        assertEquals(new org.stapfarm.management.StartRequest(List.of("-ai386", "-r6.1.0-test", "-I/i1", "-I/i2",
                "--log=" + host.log(), "--port=30101"), "lab"), host.nodes.starts().get(0));
    }

    @Test
    void anOrdinaryUserWhoCannotWriteTheSystemLocationsGetsHisOwn() {
        Path blocker = host.write("run-is-a-file", "");
        host.system = new StapServerSettings(host.system.configPath(), blocker.resolve("stap-server"),
                host.system.logFile(), "", host.system.trustPath());
        Path own = root.resolve("home/alice/.systemtap/stap-server");
        assertEquals(0, host.stapServer("start").code());
        assertTrue(Files.exists(own.resolve("run/10004242.stat")));
        assertTrue(Files.exists(own.resolve("log")));
        assertEquals(own.resolve("log"), host.nodes.nodeLogs.get("alice"));
        host.conf("lab.conf", "NICKNAME=lab\n");
        assertEquals(3, host.stapServer("status", "-n", "lab").code());
        host.write("home/alice/.systemtap/stap-server/conf.d/own.conf", "NICKNAME=own\nPORT=30105\n");
        assertTrue(host.stapServer("status", "-n", "own").out().endsWith(" --port \"30105\" is not running\n"));
    }

    @Test
    void rootAlwaysUsesTheSystemLocations() {
        host.as("root", 0);
        Path blocker = host.write("run-is-a-file", "");
        host.system = new StapServerSettings(host.system.configPath(), blocker.resolve("stap-server"),
                host.system.logFile(), "", host.system.trustPath());
        assertEquals(new StapServerSettings(host.system.configPath(), blocker.resolve("stap-server"),
                host.system.logFile(), "", host.system.trustPath()), host.environment().defaultSettings());
    }
}
