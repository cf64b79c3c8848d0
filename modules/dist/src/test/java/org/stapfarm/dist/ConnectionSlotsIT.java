package org.stapfarm.dist;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Connection slots (`stapfarm.listener.max-connections`) are what every client needs before anything
 * else; a client that misbehaves may hold one only for a bounded time, or a handful of them lock
 * everybody else out. The server has two slots here (and the test double `stap-test-double` as its
 * translator, for a large result on demand), so two hostile clients are enough to show it.
 */
class ConnectionSlotsIT {

    private static final int MAX_CONNECTIONS = 2;
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(3);
    /** Bound for an ordinary client's whole exchange while the hostile ones sit on their slots. */
    private static final Duration SERVED_WITHIN = HANDSHAKE_TIMEOUT.plus(REQUEST_TIMEOUT).plusSeconds(1);
    /** Far more than socket buffers hold when the client does not read (tcp_wmem max is 4 MiB). */
    private static final int LARGE_RESULT = 16 << 20;

    private static ServerProcess server;
    private static String release;
    private static RawClient raw;

    @BeforeAll
    static void startServer() throws Exception {
        release = Releases.first();
        Path translator = SiteConfig.translatorDouble("stap-test-double");
        Map<String, String> environment = new HashMap<>(SiteConfig.environment(
                "stapfarm.listener.max-connections = " + MAX_CONNECTIONS,
                "stapfarm.listener.handshake-timeout = " + HANDSHAKE_TIMEOUT.toSeconds() + "s",
                "stapfarm.listener.request-timeout = " + REQUEST_TIMEOUT.toSeconds() + "s",
                "stapfarm.listener.response-timeout = " + RESPONSE_TIMEOUT.toSeconds() + "s",
                "stapfarm.workers.result-cache-size = 0"));
        environment.put("SYSTEMTAP_STAP", translator.toString());
        server = ServerProcess.start(List.of("-r", release), environment);
        raw = RawClient.of(server);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    /**
     * Clients that send a valid request and never read the (large) response. A blocked write has no
     * socket timeout, so unless the server bounds the download, each such client keeps its slot for good.
     */
    @Test
    void clientsThatNeverReadTheirResponseDoNotLockOthersOut() throws Exception {
        List<RawClient.Connection> nonReaders = new ArrayList<>();
        try {
            int answeredBefore = answered();
            for (int i = 0; i < MAX_CONNECTIONS; i++) {
                RawClient.Connection connection = raw.connect(RawClient.CONNECT_TIMEOUT, 4096);
                nonReaders.add(connection);
                byte[] request = request("big:" + LARGE_RESULT);
                connection.sendLength(request.length).send(request);
            }
            // Both results are built and being written, into clients that do not read.
            awaitAnswered(answeredBefore + MAX_CONNECTIONS);
        } catch (Exception | AssertionError e) {
            closeAll(nonReaders);
            throw e;
        }
        assertAll(
                () -> assertServedWithin(SERVED_WITHIN, "while " + MAX_CONNECTIONS
                        + " clients do not read their response"),
                () -> {
                    closeAll(nonReaders);
                    assertServedWithin(SERVED_WITHIN, "once the non-reading clients are gone");
                });
    }

    /** Clients that deliver a genuine ClientHello one byte every half second (see HostileInputIT). */
    @Test
    void clientsThatTrickleTheirHandshakeDoNotLockOthersOut() throws Exception {
        byte[] hello = raw.clientHello();
        List<RawClient.Connection> tricklers = new ArrayList<>();
        List<Thread> senders = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_CONNECTIONS; i++) {
                RawClient.Connection connection = RawClient.plain(server.port);
                tricklers.add(connection);
                Thread sender = new Thread(() -> {
                    try {
                        for (int b = 0; b < hello.length; b++) {
                            connection.send(hello, b, 1);
                            Thread.sleep(500);
                        }
                    } catch (IOException | InterruptedException stopped) {
                        // closed by the server or by the test
                    }
                }, "trickler-" + i);
                sender.setDaemon(true);
                sender.start();
                senders.add(sender);
            }
            Thread.sleep(500);
        } catch (Exception | AssertionError e) {
            closeAll(tricklers);
            throw e;
        }
        assertAll(
                () -> assertServedWithin(SERVED_WITHIN, "while " + MAX_CONNECTIONS
                        + " clients trickle their handshake"),
                () -> {
                    closeAll(tricklers);
                    senders.forEach(Thread::interrupt);
                    assertServedWithin(SERVED_WITHIN, "once the trickling clients are gone");
                });
    }

    private static void closeAll(List<RawClient.Connection> connections) throws IOException {
        for (RawClient.Connection connection : connections) {
            connection.close();
        }
    }

    private static byte[] request(String script) {
        return RequestZip.request(release).argv("-r" + release, "-p2", "-e" + script).build();
    }

    /** An ordinary client, connection included, gets its answer within `bound`. */
    private static void assertServedWithin(Duration bound, String situation) throws Exception {
        long start = System.nanoTime();
        byte[] request = request("quick");
        try (RawClient.Connection connection = raw.connect(bound, 0)) {
            connection.sendLength(request.length).send(request);
            Duration left = bound.minus(Duration.ofNanos(System.nanoTime() - start));
            RawClient.Reply reply = connection.readReply(left.isNegative() ? Duration.ofMillis(1) : left);
            assertEquals(RawClient.Ending.EOF, reply.ending(), situation + ": " + reply);
            assertEquals(0, reply.rc(), situation + ": " + reply.stderr());
            assertTrue(reply.stdout().contains("test double compiled: quick"), reply.stdout());
        } catch (SocketTimeoutException e) {
            fail("an ordinary client got no TLS handshake within " + bound.toSeconds() + " s " + situation
                    + ": the server has no free connection slot (" + e + ")");
        }
    }

    private static final Pattern ANSWERED = Pattern.compile("answered: rc 0");

    private static int answered() throws IOException {
        Matcher matcher = ANSWERED.matcher(server.logText());
        int count = 0;
        while (matcher.find()) {
            count++;
        }
        return count;
    }

    private static void awaitAnswered(int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (answered() < count) {
            if (System.nanoTime() > deadline) {
                fail("only " + answered() + " of " + count + " requests answered:\n" + server.logText());
            }
            Thread.sleep(100);
        }
    }
}
