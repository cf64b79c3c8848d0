package org.stapfarm.dist;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile and broken input on the stap-facing port of a server using the real translator: every case
 * gets a clear `Server:` refusal or a close within the configured timeouts, and the next ordinary
 * request, from the stock client or from {@link RawClient}, still succeeds.
 *
 * <p>The server runs with `--max-threads 1` and short listener timeouts (handshake 2 s, request 3 s), so
 * that a connection holding a translator slot, or a timeout that is not enforced, shows at once.
 */
class HostileInputIT {

    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(3);
    /** Scheduling, TLS and JVM warm-up on a loaded two-core machine. */
    private static final Duration SLACK = Duration.ofMillis(1500);
    private static final long DEFAULT_MAX_COMPRESSED = 4L * 1024 * 1024;
    private static final long DEFAULT_MAX_REQUEST = 16L * 1024 * 1024;

    private static ServerProcess server;
    private static String release;
    private static StapClient client;
    private static RawClient raw;
    private static final AtomicInteger serial = new AtomicInteger();

    @BeforeAll
    static void startServer() throws Exception {
        release = Releases.first();
        server = ServerProcess.start(List.of("-r", release, "--max-threads", "1"), SiteConfig.environment(
                "stapfarm.listener.handshake-timeout = " + HANDSHAKE_TIMEOUT.toSeconds() + "s",
                "stapfarm.listener.request-timeout = " + REQUEST_TIMEOUT.toSeconds() + "s"));
        client = StapClient.trusting(server);
        raw = RawClient.of(server);
        // The first compile warms the translator's caches, so the timed cases compare like with like.
        assertServesStock();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    // ---- the client helpers against the real thing ----------------------------------------------------

    @Test
    void rawClientSpeaksTheProtocolOfTheRealClient() throws Exception {
        // The request the Debian client sent in vector 01, for a release this server does not build.
        byte[] vector = Files.readAllBytes(Path.of("../../../shared/spec/vectors/01-p2-inline-script/request.zip"));
        RawClient.Reply refused = raw.exchange(vector);
        assertEquals(RawClient.Ending.EOF, refused.ending(), refused.toString());
        assertEquals(1, refused.rc());
        assertTrue(refused.stderr().startsWith("Server: Target kernel version 6.1.0-47-amd64 ")
                && refused.stderr().contains("is not supported by this server"),
                refused.stderr());

        assertServesRaw();
    }

    // ---- 1. not TLS at all ----------------------------------------------------------------------------

    @Test
    void garbageInsteadOfAClientHelloIsClosedAtOnce() throws Exception {
        byte[] garbage = new byte[512];
        new Random(1).nextBytes(garbage);
        garbage[0] = 'G';
        try (RawClient.Connection connection = RawClient.plain(server.port)) {
            connection.send("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)).send(garbage);
            RawClient.Reply reply = connection.readReply(HANDSHAKE_TIMEOUT.plus(Duration.ofSeconds(5)));
            assertClosedWithin(reply, HANDSHAKE_TIMEOUT.plus(SLACK));
            assertFalse(looksLikeZip(reply.bytes()), "a plain-text client got a zip: " + reply);
        }
        assertServesStock();
    }

    @Test
    void aTlsRecordHeaderWithoutItsBodyIsClosedAfterTheHandshakeTimeout() throws Exception {
        try (RawClient.Connection connection = RawClient.plain(server.port)) {
            // A handshake record announcing 16 KiB, then nothing.
            connection.send(new byte[] {0x16, 0x03, 0x01, 0x40, 0x00, 0x01});
            RawClient.Reply reply = connection.readReply(HANDSHAKE_TIMEOUT.plus(Duration.ofSeconds(8)));
            assertClosedBetween(reply, HANDSHAKE_TIMEOUT.minus(SLACK.dividedBy(3)), HANDSHAKE_TIMEOUT.plus(SLACK));
        }
        assertServesRaw();
    }

    // ---- 2. clients that stall ------------------------------------------------------------------------

    @Test
    void stalledConnectionsNeitherBlockOthersNorStayOpen() throws Exception {
        RawClient.Connection beforeHandshake = RawClient.plain(server.port);
        RawClient.Connection afterHandshake = raw.connect();
        RawClient.Connection midBody = raw.connect();
        midBody.sendLength(1000).send(new byte[10]);
        List<RawClient.Connection> stalled = List.of(beforeHandshake, afterHandshake, midBody);
        List<CompletableFuture<RawClient.Reply>> ends = new ArrayList<>();
        for (RawClient.Connection connection : stalled) {
            ends.add(RawClient.inBackground(() -> connection.readReply(Duration.ofSeconds(20))));
        }
        try {
            // With one translator slot and three stalled connections, the stock client is served while
            // all three are still open, i.e. well before the first of them times out.
            long started = System.nanoTime();
            StapClient.Result result = client.run("--use-server=" + server.address(), "-r", release, "-p2", "-e",
                    hello());
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertEquals(0, result.exitCode(), result.stderr());
            assertTrue(result.stdout().contains("begin /* <- begin */"), result.stdout());
            for (int i = 0; i < ends.size(); i++) {
                assertFalse(ends.get(i).isDone(), "stalled connection " + i + " ended before the request (took "
                        + took.toMillis() + " ms) was answered: " + (ends.get(i).isDone() ? ends.get(i).join() : ""));
            }
            assertTrue(took.compareTo(HANDSHAKE_TIMEOUT) < 0, "the request took " + took.toMillis() + " ms");

            RawClient.Reply silentTcp = ends.get(0).get(30, TimeUnit.SECONDS);
            assertClosedBetween(silentTcp, HANDSHAKE_TIMEOUT.minus(SLACK.dividedBy(3)), HANDSHAKE_TIMEOUT.plus(SLACK));
            RawClient.Reply silentTls = ends.get(1).get(30, TimeUnit.SECONDS);
            assertClosedBetween(silentTls, REQUEST_TIMEOUT.minus(SLACK.dividedBy(3)), REQUEST_TIMEOUT.plus(SLACK));
            assertEquals(0, silentTls.bytes().length, silentTls.toString());
            RawClient.Reply halfBody = ends.get(2).get(30, TimeUnit.SECONDS);
            assertClosedBetween(halfBody, REQUEST_TIMEOUT.minus(SLACK.dividedBy(3)), REQUEST_TIMEOUT.plus(SLACK));
            assertEquals(0, halfBody.bytes().length, halfBody.toString());
            awaitLog(Pattern.compile("Connection from /127\\.0\\.0\\.1:" + midBody.socket.getLocalPort()
                    + " closed: its request upload took longer than " + REQUEST_TIMEOUT.toSeconds() + " s"));
        } finally {
            for (RawClient.Connection connection : stalled) {
                connection.close();
            }
        }
        assertServesStock();
    }

    /**
     * The handshake timeout is documented as a deadline ("a connection that has not finished its TLS
     * handshake by then is closed"); a client that delivers its ClientHello one byte at a time, each byte
     * before the timeout, must still be cut off at that deadline, or a few such clients hold every
     * connection slot (max-connections) for as long as they like.
     */
    @Test
    void aClientHelloTrickledByteByByteIsCutOffAtTheHandshakeTimeout() throws Exception {
        byte[] hello = raw.clientHello();
        try (RawClient.Connection connection = RawClient.plain(server.port)) {
            RawClient.Reply reply = trickle(connection, hello, Duration.ofMillis(500),
                    HANDSHAKE_TIMEOUT.plus(Duration.ofSeconds(4)));
            assertClosedWithin(reply, HANDSHAKE_TIMEOUT.plus(SLACK));
        }
        assertServesRaw();
    }

    /**
     * The request timeout is documented as "the whole request (length and zip) must arrive within this
     * time"; a length prefix trickled byte by byte must not stretch it.
     */
    @Test
    void aLengthPrefixTrickledByteByByteIsCutOffAtTheRequestTimeout() throws Exception {
        try (RawClient.Connection connection = raw.connect()) {
            byte[] lengthThenBody = new byte[4 + 100];
            lengthThenBody[3] = 100;
            RawClient.Reply reply = trickle(connection, lengthThenBody, Duration.ofMillis(1400),
                    REQUEST_TIMEOUT.plus(Duration.ofSeconds(8)));
            assertClosedWithin(reply, REQUEST_TIMEOUT.plus(SLACK));
        }
        assertServesRaw();
    }

    @Test
    void aBodyTrickledByteByByteIsCutOffAtTheRequestTimeout() throws Exception {
        try (RawClient.Connection connection = raw.connect()) {
            connection.sendLength(1000);
            RawClient.Reply reply = trickle(connection, new byte[1000], Duration.ofMillis(400),
                    REQUEST_TIMEOUT.plus(Duration.ofSeconds(8)));
            assertClosedWithin(reply, REQUEST_TIMEOUT.plus(SLACK));
        }
        assertServesStock();
    }

    /**
     * The request deadline is only checked after a read returns, and each read may block for the whole
     * request timeout again: one body byte shortly before the deadline, then silence, keeps the connection
     * for almost twice the request timeout.
     */
    @Test
    void aBodyByteJustBeforeTheDeadlineDoesNotExtendIt() throws Exception {
        try (RawClient.Connection connection = raw.connect()) {
            connection.sendLength(1000);
            CompletableFuture<RawClient.Reply> end = RawClient.inBackground(
                    () -> connection.readReply(REQUEST_TIMEOUT.multipliedBy(3)));
            Thread.sleep(REQUEST_TIMEOUT.minusMillis(400).toMillis());
            connection.send(new byte[1]);
            RawClient.Reply reply = end.get(30, TimeUnit.SECONDS);
            assertClosedWithin(reply, REQUEST_TIMEOUT.plus(SLACK));
        }
        assertServesRaw();
    }

    // ---- 3. impossible sizes --------------------------------------------------------------------------

    @Test
    void aTwoGibibyteLengthClaimIsAnsweredOrClosedWithoutReadingIt() throws Exception {
        try (RawClient.Connection connection = raw.connect()) {
            connection.sendLength(0x7fffffff).send("PK\u0003\u0004garbage!".getBytes(StandardCharsets.US_ASCII));
            RawClient.Reply reply = connection.readReply(REQUEST_TIMEOUT.plus(Duration.ofSeconds(8)));
            assertClosedWithin(reply, REQUEST_TIMEOUT.plus(SLACK));
            if (reply.bytes().length > 0) {
                assertEquals(1, reply.rc(), reply.toString());
                assertTrue(reply.stderr().startsWith("Server: the request of 2147483647 bytes exceeds this server's"
                        + " limit of " + DEFAULT_MAX_COMPRESSED + " compressed bytes"), reply.stderr());
            }
        }
        assertTrue(server.process.isAlive(), "the server died");
        assertServesStock();
        assertFalse(server.logText().contains("OutOfMemoryError"), server.logText());
    }

    /** Over the compressed limit but small enough to be read and discarded: bounded by the request timeout. */
    @Test
    void anOverLimitClaimThatNeverArrivesIsCutOffAtTheRequestTimeout() throws Exception {
        try (RawClient.Connection connection = raw.connect()) {
            connection.sendLength(10 << 20).send(new byte[16]);
            RawClient.Reply reply = connection.readReply(REQUEST_TIMEOUT.plus(Duration.ofSeconds(8)));
            assertClosedWithin(reply, REQUEST_TIMEOUT.plus(SLACK));
        }
        assertServesRaw();
    }

    /** Within the limit, so the server reserves the buffer, but the body never comes. */
    @Test
    void anInLimitClaimThatNeverArrivesIsCutOffAtTheRequestTimeout() throws Exception {
        try (RawClient.Connection connection = raw.connect()) {
            connection.sendLength(3 << 20).send(new byte[16]);
            RawClient.Reply reply = connection.readReply(REQUEST_TIMEOUT.plus(Duration.ofSeconds(8)));
            assertClosedWithin(reply, REQUEST_TIMEOUT.plus(SLACK));
            assertEquals(0, reply.bytes().length, reply.toString());
        }
        assertServesRaw();
    }

    // ---- 4. truncated upload --------------------------------------------------------------------------

    @Test
    void aTruncatedUploadIsLoggedAndClosed() throws Exception {
        byte[] part = new byte[100];
        new Random(4).nextBytes(part);
        int halfClosedPort;
        try (RawClient.Connection connection = raw.connect()) {
            halfClosedPort = connection.socket.getLocalPort();
            connection.sendLength(5000).send(part).halfClose();
            RawClient.Reply reply = connection.readReply(REQUEST_TIMEOUT.plus(Duration.ofSeconds(5)));
            assertClosedWithin(reply, SLACK);
            assertEquals(0, reply.bytes().length, reply.toString());
        }
        awaitLog(Pattern.compile("Connection from /127\\.0\\.0\\.1:" + halfClosedPort
                + " closed before its request was complete"));

        int closedPort;
        try (RawClient.Connection connection = raw.connect()) {
            closedPort = connection.socket.getLocalPort();
            connection.sendLength(5000).send(part);
        }
        // Whatever the server makes of a close in mid-body, it says so promptly and names the peer.
        awaitLog(Pattern.compile("(Connection from|TLS with) /127\\.0\\.0\\.1:" + closedPort + " "));
        assertServesStock();
    }

    // ---- 5. not a zip ---------------------------------------------------------------------------------

    @Test
    void randomBytesAsTheZipAreRefusedAsNotAZip() throws Exception {
        byte[] body = new byte[3000];
        new Random(5).nextBytes(body);
        RawClient.Reply reply = exchange(body);
        assertEquals(1, reply.rc());
        assertTrue(reply.stderr().startsWith("Server: the request is not a valid zip archive"), reply.stderr());
        assertServesRaw();
    }

    // ---- 6. zip bomb ----------------------------------------------------------------------------------

    @Test
    void aZipBombIsStoppedAtTheUncompressedLimitQuickly() throws Exception {
        byte[] bomb = RequestZip.request(release).argv("script/bomb.stp", "-p2")
                .entry(RequestZip.Entry.zeros("script/bomb.stp", 1024)).build();
        assertTrue(bomb.length < DEFAULT_MAX_COMPRESSED, "the bomb is " + bomb.length + " bytes");
        RawClient.Reply reply = exchange(bomb);
        assertEquals(1, reply.rc());
        assertTrue(reply.stderr().startsWith("Server: the request unpacks to more than the server's limit of "
                + DEFAULT_MAX_REQUEST + " bytes"), reply.stderr());
        assertTrue(reply.waited().compareTo(Duration.ofSeconds(5)) < 0, reply.toString());
        assertServesStock();
    }

    /**
     * Entry names are bounded only by the zip format (64 KiB). A name nested 32000 directories deep is a
     * plain relative path, but checking it must not cost time or memory quadratic in its length: four
     * of them (a 0.5 MB request, an eighth of the default compressed limit) must be answered promptly.
     */
    @Test
    void deeplyNestedEntryNamesAreAnsweredPromptly() throws Exception {
        byte[] zip = nested(32000, 4);
        assertTrue(zip.length < DEFAULT_MAX_COMPRESSED / 6, zip.length + " bytes");
        RawClient.Reply reply = exchange(zip);
        assertTrue(reply.waited().compareTo(Duration.ofSeconds(5)) < 0,
                "a " + zip.length + "-byte request took " + reply.waited().toMillis() + " ms to answer: "
                        + reply.stderr());
        assertEquals(1, reply.rc(), reply.stdout());
        assertTrue(reply.stderr().startsWith("Server: "), reply.stderr());
        assertServesStock();
    }

    /** A file nested too deeply to be unpacked is refused with a message naming it, not an internal error. */
    @Test
    void aDeeplyNestedEntryIsRefusedByName() throws Exception {
        RawClient.Reply reply = exchange(nested(10000, 1));
        assertEquals(1, reply.rc(), reply.stdout());
        assertAll(
                () -> assertFalse(reply.stderr().contains("internal error"), reply.stderr()),
                () -> assertTrue(reply.stderr().startsWith("Server: ") && reply.stderr().contains("'script/d/d/d/"),
                        reply.stderr()));
        assertServesRaw();
    }

    /** A valid -p2 request plus `count` one-byte files `depth` directories below script/. */
    private static byte[] nested(int depth, int count) {
        RequestZip.Builder request = RequestZip.request(release).argv("-r" + release, "-p2", "-e" + hello());
        String deep = "script/" + "d/".repeat(depth);
        for (int i = 0; i < count; i++) {
            request.entry(RequestZip.Entry.stored(deep + "f" + i, new byte[] {'x'}));
        }
        return request.build();
    }

    // ---- 7. entries that would land outside the request directory -------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"../evil.stp", "script/../../evil.stp", "/tmp/evil.stp", "script//evil.stp",
        "script\\..\\evil.stp"})
    void unsafeEntryNamesAreRefusedByName(String name) throws Exception {
        byte[] zip = RequestZip.request(release).argv("-p2", "-e" + hello())
                .entry(RequestZip.Entry.stored(name, "probe begin { exit() }".getBytes(StandardCharsets.UTF_8)))
                .build();
        RawClient.Reply reply = exchange(zip);
        assertEquals(1, reply.rc());
        assertTrue(reply.stderr().startsWith("Server: request entry '" + name + "' has an unsafe name"),
                reply.stderr());
        assertServesRaw();
    }

    @Test
    void linkAndDeviceEntriesAreRefusedByName() throws Exception {
        byte[] link = RequestZip.request(release).argv("script/etc/link.stp", "-p2")
                .entry(RequestZip.Entry.directory("script/"))
                .entry(RequestZip.Entry.directory("script/etc/"))
                .entry(RequestZip.Entry.symbolicLink("script/etc/link.stp", "/etc/hostname")).build();
        RawClient.Reply linked = exchange(link);
        assertEquals(1, linked.rc());
        assertTrue(linked.stderr().startsWith("Server: request entry 'script/etc/link.stp' is a symbolic link"),
                linked.stderr());

        byte[] device = RequestZip.request(release).argv("-p2", "-e" + hello())
                .entry(RequestZip.Entry.stored("script/tty", new byte[0]).withUnixMode(RequestZip.CHARACTER_DEVICE))
                .build();
        RawClient.Reply special = exchange(device);
        assertEquals(1, special.rc());
        assertTrue(special.stderr().startsWith("Server: request entry 'script/tty' is a device or other special"),
                special.stderr());
        assertServesStock();
    }

    /** A real symbolic link archived by Info-ZIP with `zip -y`, as a hostile client would make it. */
    @Test
    void aSymbolicLinkStoredByInfoZipIsRefusedByName() throws Exception {
        Path base = Files.createTempDirectory(Workspace.INSTANCE.root, "symlink-request-");
        Path tree = Files.createDirectory(base.resolve("client"));
        Files.writeString(tree.resolve("version"), "4.8");
        Files.writeString(tree.resolve("sysinfo"), "sysinfo: " + release + " x86_64");
        Files.writeString(tree.resolve("locale"), "");
        Files.writeString(tree.resolve("argv1"), "script/passwd.stp");
        Files.writeString(tree.resolve("argv2"), "-p2");
        Files.createDirectories(tree.resolve("script"));
        Files.createSymbolicLink(tree.resolve("script/passwd.stp"), Path.of("/etc/passwd"));
        // As the client's `zip -qr ../client.zip *`, plus -y: store the link itself, not its target.
        Process zip = new ProcessBuilder("zip", "-q", "-r", "-y", "../request.zip",
                "argv1", "argv2", "locale", "script", "sysinfo", "version")
                .directory(tree.toFile()).redirectErrorStream(true).start();
        String zipOutput = new String(zip.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, zip.waitFor(), zipOutput);
        byte[] request = Files.readAllBytes(base.resolve("request.zip"));

        RawClient.Reply reply = exchange(request);
        assertEquals(1, reply.rc());
        assertTrue(reply.stderr().startsWith("Server: request entry 'script/passwd.stp' is a symbolic link"),
                reply.stderr());
        assertFalse(reply.allText().contains(Files.readAllLines(Path.of("/etc/passwd")).get(0)), reply.allText());
        assertServesRaw();
    }

    // ---- 8. arguments naming server files -------------------------------------------------------------

    @Test
    void scriptPathsOutsideTheRequestAreRefusedWithoutLeakingTheFile() throws Exception {
        String hostname = Files.readAllLines(Path.of("/etc/hostname")).get(0).strip();
        String passwd = Files.readAllLines(Path.of("/etc/passwd")).get(0);
        Map<List<String>, String> cases = Map.of(
                List.of("/etc/hostname", "-p2"),
                "Server: script path '/etc/hostname' is outside the request",
                List.of("script/../../etc/passwd", "-p2"),
                "Server: script path 'script/../../etc/passwd' is outside the request",
                List.of("-I", "/etc", "-p2", "-e" + hello()),
                "Server: -I directory '/etc' is outside the request",
                List.of("-I/etc", "-p2", "-e" + hello()),
                "Server: -I directory '/etc' is outside the request",
                List.of("-R", "/etc", "-p2", "-e" + hello()),
                "Server: -R directory '/etc' is outside the request");
        for (Map.Entry<List<String>, String> each : cases.entrySet()) {
            RequestZip.Builder request = RequestZip.request(release).argv("-r" + release);
            request.argv(each.getKey().toArray(String[]::new));
            RawClient.Reply reply = exchange(request.build());
            assertEquals(1, reply.rc(), each.getKey() + ": " + reply.allText());
            assertTrue(reply.stderr().startsWith(each.getValue()), each.getKey() + ": " + reply.stderr());
            String everything = reply.allText();
            // What the reference server leaks: "saw: identifier 'vm' at /etc/hostname:1:1".
            assertFalse(everything.contains("/etc/hostname:1"), everything);
            assertFalse(everything.contains("identifier '" + hostname + "'"), everything);
            if (hostname.length() >= 6) {
                assertFalse(everything.contains(hostname), everything);
            }
            assertFalse(everything.contains(passwd), everything);
        }
        assertServesStock();
    }

    // ---- 11. special lengths --------------------------------------------------------------------------

    @Test
    void aNegativeLengthIsClosedWithoutAnswer() throws Exception {
        try (RawClient.Connection connection = raw.connect()) {
            connection.sendLength(-5).send(new byte[16]);
            RawClient.Reply reply = connection.readReply(REQUEST_TIMEOUT.plus(Duration.ofSeconds(5)));
            assertClosedWithin(reply, SLACK);
            assertEquals(0, reply.bytes().length, reply.toString());
        }
        assertServesRaw();
    }

    @Test
    void aTrustProbeIsClosedWithoutAnswer() throws Exception {
        try (RawClient.Connection connection = raw.connect()) {
            connection.sendLength(0);
            RawClient.Reply reply = connection.readReply(REQUEST_TIMEOUT.plus(Duration.ofSeconds(5)));
            assertClosedWithin(reply, SLACK);
            assertEquals(RawClient.Ending.EOF, reply.ending(), reply.toString());
            assertEquals(0, reply.bytes().length, reply.toString());
        }
        assertServesStock();
    }

    // ---- 12. protocol 1.0 -----------------------------------------------------------------------------

    @Test
    void aClientWithoutVersionIsToldItIsNotSupported() throws Exception {
        byte[] old = RequestZip.request(release).withoutVersion().argv("-r" + release, "-p2", "-e" + hello()).build();
        RawClient.Reply reply = exchange(old);
        assertEquals(1, reply.rc());
        assertTrue(reply.stderr().startsWith("Server: client protocol version 1.0 is not supported"), reply.stderr());
        assertServesRaw();
    }

    // ---- helpers --------------------------------------------------------------------------------------

    private static String hello() {
        return "probe begin { printf(\"Hello World " + serial.incrementAndGet() + "!\\n\"); exit() }";
    }

    /** A complete exchange that must end in a response zip. */
    private static RawClient.Reply exchange(byte[] zip) throws IOException {
        RawClient.Reply reply = raw.exchange(zip, Duration.ofSeconds(60));
        assertEquals(RawClient.Ending.EOF, reply.ending(), reply.toString());
        return reply;
    }

    /** The stock client, trusted once, compiles a fresh hello world (never a cached one) at -p2. */
    private static void assertServesStock() throws Exception {
        String script = hello();
        StapClient.Result result = client.run("--use-server=" + server.address(), "-r", release, "-p2", "-e", script);
        assertEquals(0, result.exitCode(), "the server no longer serves the stock client: " + result.stderr());
        assertTrue(result.stdout().contains("begin /* <- begin */"), result.stdout());
    }

    /** A well-formed raw request, as the stock client would send it, compiles at -p2. */
    private static void assertServesRaw() throws Exception {
        byte[] request = RequestZip.request(release).argv("-r" + release, "-p2", "-e" + hello()).build();
        RawClient.Reply reply = exchange(request);
        assertEquals(0, reply.rc(), "the server no longer serves: " + reply.stderr());
        assertTrue(reply.stdout().contains("begin /* <- begin */"), reply.stdout());
    }

    /**
     * Sends `bytes` one at a time, `interval` apart, until the server ends the connection or `limit`
     * passes; returns how the connection ended, timed from its opening.
     */
    private static RawClient.Reply trickle(RawClient.Connection connection, byte[] bytes, Duration interval,
                                           Duration limit) throws Exception {
        CompletableFuture<RawClient.Reply> end = RawClient.inBackground(() -> connection.readReply(limit));
        try {
            for (int i = 0; i < bytes.length && !end.isDone(); i++) {
                connection.send(bytes, i, 1);
                Thread.sleep(interval.toMillis());
            }
        } catch (IOException closedUnderUs) {
            // The server closed while we were still sending; the reader reports when.
        }
        return end.get(limit.toMillis() + 5000, TimeUnit.MILLISECONDS);
    }

    private static void assertClosedWithin(RawClient.Reply reply, Duration bound) {
        assertNotEquals(RawClient.Ending.TIMEOUT, reply.ending(), "the server had still not closed the connection"
                + " when the test gave up (bound " + bound.toMillis() + " ms): " + reply);
        assertTrue(reply.sinceOpen().compareTo(bound) <= 0,
                "the server closed only after " + reply.sinceOpen().toMillis() + " ms, bound " + bound.toMillis()
                        + " ms: " + reply);
    }

    private static void assertClosedBetween(RawClient.Reply reply, Duration earliest, Duration latest) {
        assertClosedWithin(reply, latest);
        assertTrue(reply.sinceOpen().compareTo(earliest) >= 0,
                "the server closed already after " + reply.sinceOpen().toMillis() + " ms: " + reply);
    }

    private static boolean looksLikeZip(byte[] bytes) {
        return bytes.length >= 4 && bytes[0] == 'P' && bytes[1] == 'K';
    }

    private static void awaitLog(Pattern line) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (line.matcher(server.logText()).find()) {
                return;
            }
            Thread.sleep(100);
        }
        fail("no log line matching " + line + " in:\n" + server.logText());
    }
}
