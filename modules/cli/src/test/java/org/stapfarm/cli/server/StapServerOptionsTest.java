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

/** The command line of `stap-server`: actions, usage, and every option (spec §1.4, §5.1). */
class StapServerOptionsTest {

    @TempDir
    Path root;
    Fixture host;

    @BeforeEach
    void setUp() {
        host = new Fixture(root);
    }

    private List<String> startedWith(String... arguments) {
        Result result = host.stapServer(arguments);
        assertEquals(0, result.code(), result.err());
        return host.nodes.starts().get(host.nodes.starts().size() - 1).arguments();
    }

    private void assertRejected(String message, String... arguments) {
        Result result = host.stapServer(arguments);
        assertEquals(2, result.code());
        assertEquals("", result.out());
        assertTrue(result.err().startsWith("stap-server: " + message + "\n"), result.err());
        assertTrue(host.nodes.changes.isEmpty());
    }

    @Test
    void withoutAnActionTheUsageGoesToStderrWithExit2() {
        Result result = host.stapServer();
        assertEquals(2, result.code());
        assertEquals("", result.out());
        assertTrue(result.err().startsWith("Usage: stap-server {start|stop|restart|condrestart|try-restart|"
                + "force-reload|status} [OPTION...]\n"), result.err());
    }

    @Test
    void theUsageShowsTheRealDefaults() {
        host.variables.put("STAP_USER", "stap-server");
        String usage = host.stapServer("help").err();
        assertTrue(usage.contains("(default: STAP_USER, else you: stap-server)"), usage);
        assertTrue(usage.contains("(default: LOG_FILE, " + host.log() + ")"), usage);
        assertTrue(usage.contains("(default: x86_64)"), usage);
        assertTrue(usage.contains("the running kernel, 6.1.0-test"), usage);
        assertTrue(usage.contains("$SYSTEMTAP_DIR/ssl/server of the server's user"), usage);
        assertTrue(usage.contains("(default: 16777216)"), usage);
        assertFalse(usage.contains("/etc/ssl/server"), usage);
    }

    @Test
    void anUnknownActionOrAnOptionFirstIsAUsageError() {
        assertEquals(2, host.stapServer("begin").code());
        Result optionFirst = host.stapServer("-a", "x", "status");
        assertEquals(2, optionFirst.code());
        assertTrue(optionFirst.err().startsWith("Usage: "));
        assertEquals(2, host.stapServer("Start").code());
    }

    @Test
    void reloadDoesNothingWithExit3() {
        Result result = host.stapServer("reload");
        assertEquals(new Result(3, "\n", ""), result);
        assertFalse(Files.exists(host.statPath()));
    }

    @Test
    void everyServerOptionReachesTheServer() throws Exception {
        Path tree = root.resolve("cwd/tree");
        host.write("cwd/tree/include/config/kernel.release", "6.2.0-custom\n");
        List<String> arguments = startedWith("start", "-a", "i386", "-r", "6.1", "-r", "./tree", "-I", "/tapsets",
                "-D", "MAXACTION=500", "-B", "V=1", "-R", "/runtime", "--log", "/logs/lab", "--port", "30101",
                "--ssl", "/ssl", "--max-threads", "3", "--max-request-size", "1000", "--max-compressed-request", "100",
                "-k", "-P");
        assertEquals(List.of("-ai386", "-k", "-P", "-r6.1", "-r" + tree, "-BV=1", "-I/tapsets", "-DMAXACTION=500",
                "-R/runtime", "--log=/logs/lab", "--port=30101", "--ssl=/ssl", "--max-threads=3",
                "--max-request-size=1000", "--max-compressed-request=100"), arguments);
    }

    @Test
    void gnuFormsAreAcceptedConsistently() {
        List<String> arguments = startedWith("start", "-ai386", "-r6.1", "--ssl", "/ssl",
                "--max-t=2", "--max-request", "1000", "--p", "30102", "-B", "-j4", "-kP");
        assertEquals(List.of("-ai386", "-k", "-P", "-r6.1", "-B-j4", "--log=" + host.log(), "--port=30102",
                "--ssl=/ssl", "--max-threads=2", "--max-request-size=1000"), arguments);
    }

    @Test
    void kAndPAreFlagsThatTakeNothingAfterThem() {
        List<String> arguments = startedWith("start", "-k", "--port", "30101", "-P");
        assertTrue(arguments.containsAll(List.of("-k", "-P", "--port=30101")), arguments.toString());
    }

    @Test
    void relativePathsAreTheCallersNotTheServers() {
        List<String> arguments = startedWith("start", "-I", "tapsets", "--log", "logs/lab", "--ssl", "ssl");
        Path cwd = root.resolve("cwd");
        assertTrue(arguments.containsAll(List.of("-I" + cwd.resolve("tapsets"), "--log=" + cwd.resolve("logs/lab"),
                "--ssl=" + cwd.resolve("ssl"))), arguments.toString());
    }

    @Test
    void emptyValuesAreRejected() {
        assertRejected("argument 2 after the action is empty (after '-a'); options and their values cannot be"
                + " empty", "start", "-a", "");
        assertRejected("option --port needs a value, not an empty string", "start", "--port=");
        assertRejected("option -n needs a value, not an empty string", "stop", "-n=");
    }

    @Test
    void anEmptyArgumentIsNotSilentlyTheEnd() {
        assertRejected("argument 3 after the action is empty (after '30101'); options and their values cannot be"
                + " empty", "start", "--port", "30101", "", "--port", "2");
    }

    @Test
    void doubleDashEndsTheOptionsAndThereAreNoOperands() {
        assertRejected("unexpected argument '-a': after the action, stap-server takes options only", "start", "--",
                "-a", "i386");
        assertRejected("unexpected argument 'now': after the action, stap-server takes options only", "start",
                "now");
    }

    @Test
    void unknownOptionsAndMissingValuesAreRejected() {
        assertRejected("Unknown option: '-x'", "start", "-x");
        assertRejected("Missing required parameter for option '--port' (<port>)", "start", "--port");
        assertRejected("option '--max' is ambiguous; possibilities: '--max-threads' '--max-request-size'"
                + " '--max-compressed-request'", "start", "--max=1");
        assertRejected("Unknown option: '--maxi'", "start", "--maxi", "1");
    }

    @Test
    void listOptionsGivenTwiceAreRejectedNamingTheOption() {
        assertRejected("option --port given 2 times: the command line describes one server, so it takes --port at"
                + " most once", "start", "--port", "1", "--port", "2");
        assertRejected("option --log given 2 times: the command line describes one server, so it takes --log at"
                + " most once", "status", "--log=/a", "--log=/b");
    }

    @Test
    void scalarsRepeatedKeepTheLastAsUpstream() {
        List<String> arguments = startedWith("start", "-a", "i386", "-a", "s390");
        assertEquals("-as390", arguments.get(0));
    }

    @Test
    void badValuesAreRejectedBeforeAnythingStarts() {
        assertRejected("invalid entry: port must be between 0 and 65535", "start", "--port", "70000");
        assertRejected("invalid entry: max-threads 'many' is not a number", "start", "--max-threads", "many");
        assertRejected("option -I: a value cannot contain a line break", "start", "-I", "/a\n/b");
    }

    @Test
    void aBuildTreeNeedsItsKernelRelease() {
        assertRejected("Missing ./tree/include/config/kernel.release", "start", "-r", "./tree");
        assertRejected("Missing " + root + "/nowhere/include/config/kernel.release", "start", "-r",
                root + "/nowhere");
        assertRejected("Missing ../x/include/config/kernel.release", "status", "-r", "../x");
    }

    @Test
    void iAddsEveryReleaseWithABuildTreeSortedInCommandLineOrder() {
        List<String> arguments = startedWith("start", "-r", "5.10", "-i", "-r", "4.19");
        assertEquals(List.of("-ax86_64", "-r5.10", "-r6.1.0-a", "-r6.1.0-b", "-r4.19", "--log=" + host.log()),
                arguments);
    }

    @Test
    void iNeedsTheModulesDirectoryAndABuildTree() throws Exception {
        Files.delete(root.resolve("lib/modules/6.1.0-a/build"));
        Files.delete(root.resolve("lib/modules/6.1.0-b/build"));
        assertRejected("-i: no kernel release in " + root.resolve("lib/modules") + " has a build tree; install the"
                + " linux-headers package of a kernel", "start", "-i");
        for (String entry : List.of("6.1.0-a", "6.1.0-b", "5.4.0-headers-removed")) {
            Files.delete(root.resolve("lib/modules").resolve(entry));
        }
        Files.delete(root.resolve("lib/modules"));
        assertRejected("-i: cannot list " + root.resolve("lib/modules") + ": no such file or directory", "start", "-i");
    }

    @Test
    void messagesQuoteValuesAsUpstream() {
        Result result = host.stapServer("start", "-B", "a\"b\\c", "-n", "it's");
        assertEquals("Starting stap-server -a \"x86_64\" -r \"6.1.0-test\" -B \"a\\\"b\\\\c\" -u \"alice\""
                + " -n \"it's\" --log \"" + host.log() + "\"\nOK\n", result.out());
    }

    @Test
    void aNicknameOfDigitsIsAnId() {
        assertRejected("nickname 4711 has only digits, which is how server ids look: select a server by id with -p"
                + " 4711, or choose a nickname with a letter in it", "start", "-n", "4711");
    }

    @Test
    void oneSelectorOnly() {
        assertRejected("options -n and -p both select a server: give one of them", "status", "-n", "a", "-p", "1");
        assertRejected("option -n given 2 times: the command line describes one server, so it takes -n at most once",
                "start", "-n", "a", "-n", "b");
    }

    @Test
    void stopAndStatusOfASelectedServerTakeNoOtherServerOptions() {
        Result result = host.stapServer("stop", "-n", "lab", "--port", "1");
        assertEquals(2, result.code());
        assertEquals("stap-server: stop -n/-p acts on the selected server as it is; other server options have no"
                + " meaning there\n", result.err());
    }
}
