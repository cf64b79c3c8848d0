package org.stapfarm.dist;

import static org.stapfarm.dist.StapClient.HELLO;
import static org.stapfarm.dist.StapClient.HELLO_PASS_2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** `bin/stap-serverd` as an init system or an administrator uses it: refusals at start, and SIGTERM. */
class ServerLifecycleIT {

    private static final Duration LAUNCH_TIMEOUT = Duration.ofSeconds(90);
    private static final Pattern STACK_TRACE = Pattern.compile("Exception|\\n\\s+at [\\w.$]+\\(");
    /** Log text that would alarm an operator after a clean stop. */
    private static final Pattern ALARMING = Pattern.compile(
            "(?i)exception|error|warn|cancel|kill|fail|refused|interrupt|timed out|still running");
    private static final Pattern REQUEST_LOGGED = Pattern.compile("Request from (\\S+) for ");
    /** The translator is held back this long per compile, so that a request is surely in flight. */
    private static final int TRANSLATOR_DELAY_SECONDS = 4;

    /** The reference daemon refuses root (protocol spec 4.10); so does the launcher, before touching anything. */
    @Test
    void theLauncherRefusesToRunAsRoot() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "the test JVM is not root");
        Path directory = TestFiles.directory("as-root-");
        Path ssl = directory.resolve("ssl");
        Path log = directory.resolve("log");

        Commands.Result result = Commands.run(List.of("env", "-i", "PATH=/usr/local/bin:/usr/bin:/bin",
                "LANG=C.UTF-8", "HOME=/root", Workspace.INSTANCE.bin("stap-serverd").toString(),
                "--port", "0", "--ssl", ssl.toString(), "--log", log.toString()), LAUNCH_TIMEOUT);

        assertEquals(1, result.exitCode(), result.stderr());
        assertEquals("For security reasons, invocation of stap-serverd as root is not supported.\n", result.stderr());
        assertEquals("", result.stdout());
        assertFalse(Files.exists(ssl), "no certificate made for root");
        assertFalse(Files.exists(log), "no log written as root");
    }

    static Stream<Arguments> badOptions() {
        return Stream.of(
                Arguments.of(List.of("--port", "70000"), "between 0 and 65535"),
                Arguments.of(List.of("--port=65536"), "between 0 and 65535"),
                Arguments.of(List.of("--port", "abc"), "'abc'"),
                Arguments.of(List.of("--max-threads", "x"), "max-threads 'x'"),
                Arguments.of(List.of("--max-request-size", "0"), "max-request-size"),
                Arguments.of(List.of("--no-such-option"), "--no-such-option"),
                Arguments.of(List.of("--port"), "--port"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badOptions")
    void badOptionsAreRefusedWithOneLine(List<String> options, String named) throws Exception {
        Path directory = TestUser.INSTANCE.newDirectory(Workspace.INSTANCE.root, "bad-options-");
        Path ssl = directory.resolve("ssl");
        List<String> command = new ArrayList<>(List.of(Workspace.INSTANCE.bin("stap-serverd").toString(),
                "--ssl", ssl.toString()));
        command.addAll(options);

        Commands.Result result = Commands.asTestUser(command, Map.of(), LAUNCH_TIMEOUT);

        assertEquals(1, result.exitCode(), result.stderr());
        assertEquals("", result.stdout());
        String message = result.stderr().strip();
        assertFalse(message.contains("\n"), "one line:\n" + result.stderr());
        assertTrue(message.startsWith("stap-serverd: "), message);
        assertTrue(message.contains(named), "names " + named + ": " + message);
        assertFalse(STACK_TRACE.matcher(result.stderr()).find(), result.stderr());
        assertFalse(Files.exists(ssl), "refused before making a certificate");
    }

    /** `-r` of a release without /lib/modules/<release>/build: the daemon says so and exits 1. */
    @Test
    void aReleaseWithoutABuildTreeIsRefused() throws Exception {
        String release = "9.9.9-stapfarm";
        assertFalse(Files.exists(Path.of("/lib/modules", release)));
        Path directory = TestUser.INSTANCE.newDirectory(Workspace.INSTANCE.root, "no-tree-");
        Path log = directory.resolve("log");

        Commands.Result result = Commands.asTestUser(List.of(Workspace.INSTANCE.bin("stap-serverd").toString(),
                "--port", "0", "--ssl", directory.resolve("ssl").toString(), "--log", log.toString(), "-r", release),
                Map.of(), LAUNCH_TIMEOUT);

        assertEquals(1, result.exitCode(), result.stderr());
        assertTrue(result.stderr().contains(release), result.stderr());
        assertTrue(result.stderr().contains("build tree"), result.stderr());
        assertFalse(STACK_TRACE.matcher(result.stderr()).find(), result.stderr());
        String logText = Files.readString(log);
        assertTrue(logText.contains(release), "the log says why too:\n" + logText);
        assertFalse(logText.contains("Using network address"), logText);
    }

    /** Spec 1.1: with an explicit port, a bind failure is fatal. */
    @Test
    void anExplicitPortInUseIsFatal() throws Exception {
        try (ServerSocket occupied = new ServerSocket()) {
            occupied.bind(new InetSocketAddress(0));
            int port = occupied.getLocalPort();
            Path directory = TestUser.INSTANCE.newDirectory(Workspace.INSTANCE.root, "port-in-use-");

            Commands.Result result = Commands.asTestUser(List.of(Workspace.INSTANCE.bin("stap-serverd").toString(),
                    "--port", Integer.toString(port), "--ssl", directory.resolve("ssl").toString(),
                    "--log", directory.resolve("log").toString(), "-r", Releases.first()), Map.of(), LAUNCH_TIMEOUT);

            assertEquals(1, result.exitCode(), result.stderr());
            assertTrue(result.stderr().contains(Integer.toString(port)), result.stderr());
            assertFalse(STACK_TRACE.matcher(result.stderr()).find(), result.stderr());
        }
    }

    /**
     * SIGTERM while requests are in flight, one compiling and one queued behind it: the server stops
     * accepting at once, answers both (the client gets its complete -p3 result) even when SIGTERM is
     * repeated, exits within the drain time, logs nothing alarming, and leaves neither its port nor a
     * translator behind.
     *
     * <p>To make "in flight" certain rather than a race with a sub-second compile, the server's translator
     * (SYSTEMTAP_STAP, as upstream) is a wrapper that waits {@value #TRANSLATOR_DELAY_SECONDS} s before it
     * runs the real `stap` for compile requests.
     */
    @Test
    void sigtermLetsTheRequestInFlightFinish() throws Exception {
        String release = Releases.first();
        Path wrapperDirectory = TestFiles.directory("slow-translator-");
        Path wrapper = TestFiles.write(wrapperDirectory.resolve("slow-stap"), String.join("\n",
                "#!/bin/sh",
                "# The real translator, started late for compile requests (they carry --client-options).",
                "for argument in \"$@\"; do",
                "  if [ \"$argument\" = --client-options ]; then sleep " + TRANSLATOR_DELAY_SECONDS + "; break; fi",
                "done",
                "exec stap \"$@\"",
                ""), "rwxr-xr-x");
        Path scripts = TestFiles.directory("scripts-");
        Path script = TestFiles.copy("scripts/parity.stp", scripts);

        // One translator slot: the second request waits in the queue when SIGTERM comes.
        ServerProcess server = ServerProcess.start(List.of("-r", release, "--max-threads", "1"),
                Map.of("SYSTEMTAP_STAP", wrapper.toString()));
        try {
            StapClient client = StapClient.create();
            assertEquals(0, client.trust(server).exitCode());

            CompletableFuture<StapClient.Result> compiling = runAsync(client,
                    "--use-server=" + server.address(), "-r", release, "-p3", script.toString());
            awaitLog(server, REQUEST_LOGGED, 1, Duration.ofSeconds(60));
            CompletableFuture<StapClient.Result> queued = runAsync(client,
                    "--use-server=" + server.address(), "-r", release, "-p2", "-e", HELLO);
            awaitLog(server, REQUEST_LOGGED, 2, Duration.ofSeconds(60));
            CompletableFuture<Void> both = CompletableFuture.allOf(compiling, queued);
            assertFalse(both.isDone(), "the requests are still in flight");
            assertTrue(listening(server.port), "the server listens before it is stopped");

            long stopping = System.nanoTime();
            ProcessHandle java = server.javaProcess();
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> {
                try {
                    return server.stop();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            boolean closedWhileInFlight = awaitPortClosed(server.port, both);
            // stap-stop-server repeats SIGTERM every 0.5 s (management spec 1.12): that must not cut the drain short.
            int repeated = 0;
            while (!both.isDone() && java.isAlive() && repeated < 20) {
                Thread.sleep(500);
                java.destroy();
                repeated++;
            }
            assertTrue(repeated > 0, "SIGTERM was repeated while the requests were still in flight");
            StapClient.Result result = compiling.get(2, TimeUnit.MINUTES);
            StapClient.Result waited = queued.get(2, TimeUnit.MINUTES);
            int status = exit.get(2, TimeUnit.MINUTES);
            Duration stopTime = Duration.ofNanos(System.nanoTime() - stopping);

            assertEquals(0, result.exitCode(), result.stderr());
            assertFalse(result.stderr().contains("Server:"), result.stderr());
            // All of it: the same C code as a local run, but for the server-side script name.
            StapClient.Result local = client.run("-r", release, "-p3", script.toString());
            assertEquals(0, local.exitCode(), local.stderr());
            assertEquals(local.stdout(), LocalParityIT.normalise(result.stdout(), script.toString(), null));
            assertEquals(0, waited.exitCode(), "the queued request is answered too: " + waited.stderr());
            assertEquals(HELLO_PASS_2, waited.stdout());
            assertTrue(closedWhileInFlight, "the port closed while the accepted requests were still being compiled");

            assertEquals(0, status, "exit status");
            assertTrue(stopTime.compareTo(Duration.ofSeconds(45)) < 0, "stopped in " + stopTime);
            String log = server.logText();
            assertEquals(2, Pattern.compile("answered: rc 0 ").matcher(log).results().count(), log);
            assertEquals(1, Pattern.compile("Received signal 15, exiting").matcher(log).results().count(), log);
            assertFalse(ALARMING.matcher(log).find(), "alarming log after a clean stop:\n" + log);
            assertFalse(listening(server.port), "nothing listens on the port any more");
            assertThrows(ConnectException.class, () -> {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress("127.0.0.1", server.port), 5000);
                }
            });
            assertFalse(java.isAlive());
            assertTrue(ProcessHandle.allProcesses().noneMatch(process ->
                            process.info().commandLine().orElse("").contains(wrapper.toString())),
                    "no translator left running");
        } finally {
            server.close();
        }
    }

    private static CompletableFuture<StapClient.Result> runAsync(StapClient client, String... arguments) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return client.run(arguments);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Waits until `pattern` occurs `count` times in the server's log. */
    private static void awaitLog(ServerProcess server, Pattern pattern, int count, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (pattern.matcher(server.logText()).results().count() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(count + " x " + pattern + " not in the log within " + timeout + ":\n"
                        + server.logText());
            }
            Thread.sleep(20);
        }
    }

    /**
     * Polls until nothing listens on `port`; true if that happened before `inFlight` completed. It reads
     * the kernel's socket tables rather than connecting, so that the test adds no connection of its own
     * for the server to handle (and log) while it drains.
     */
    private static boolean awaitPortClosed(int port, CompletableFuture<?> inFlight) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            boolean done = inFlight.isDone();
            if (!listening(port)) {
                return !done;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** Whether a socket listens on `port` (any address, IPv4 or IPv6), per /proc/net/tcp{,6}. */
    private static boolean listening(int port) throws IOException {
        String hexPort = String.format(":%04X", port);
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length > 3 && fields[1].endsWith(hexPort) && "0A".equals(fields[3])) {
                    return true;
                }
            }
        }
        return false;
    }
}
