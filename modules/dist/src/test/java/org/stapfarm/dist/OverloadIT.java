package org.stapfarm.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Overload and runaway compiles, with the test double `fake-translators/stap-test-double` as the
 * translator (SYSTEMTAP_STAP), so that how long a compile takes, and whether it hangs or floods, is up to
 * the test: one translator slot (`--max-threads 1`), a queue of two, no result cache, a wall-clock limit
 * of 3 s and a file-size limit of 1 MiB.
 */
class OverloadIT {

    private static final int QUEUE_CAPACITY = 2;
    private static final Duration WALL_CLOCK = Duration.ofSeconds(3);
    private static final long FILE_SIZE = 1 << 20;
    /** How long the double "compiles" in the queue test: well inside the wall-clock limit. */
    private static final int COMPILE_SECONDS = 2;
    private static final Duration STAGGER = Duration.ofMillis(250);

    private static ServerProcess server;
    private static String release;
    private static RawClient raw;
    private static StapClient client;

    /** One reply of a concurrent request and when, relative to the first submission, it was complete. */
    private record Timed(String label, RawClient.Reply reply, Duration completed) {
    }

    @BeforeAll
    static void startServer() throws Exception {
        release = Releases.first();
        Path translator = SiteConfig.translatorDouble("stap-test-double");
        Map<String, String> environment = new HashMap<>(SiteConfig.environment(
                "stapfarm.workers.queue-capacity = " + QUEUE_CAPACITY,
                "stapfarm.workers.result-cache-size = 0",
                "stapfarm.translator-limits.wall-clock = " + WALL_CLOCK.toSeconds() + "s",
                "stapfarm.translator-limits.file-size = " + FILE_SIZE));
        environment.put("SYSTEMTAP_STAP", translator.toString());
        server = ServerProcess.start(List.of("-r", release, "--max-threads", "1"), environment);
        raw = RawClient.of(server);
        client = StapClient.trusting(server);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void requestsBeyondTheSlotWaitInOrderAndBeyondTheQueueAreToldTheServerIsBusy() throws Exception {
        List<String> labels = List.of("first", "second", "third", "fourth", "fifth");
        long start = System.nanoTime();
        List<CompletableFuture<Timed>> pending = new ArrayList<>();
        for (String label : labels) {
            byte[] request = request("sleep:" + COMPILE_SECONDS + ":" + label);
            pending.add(RawClient.inBackground(() -> {
                try {
                    RawClient.Reply reply = raw.exchange(request, Duration.ofSeconds(60));
                    return new Timed(label, reply, Duration.ofNanos(System.nanoTime() - start));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }));
            // Far apart enough that the server sees them in this order, close enough that all five are
            // in before the first compile ends.
            Thread.sleep(STAGGER.toMillis());
        }
        List<Timed> done = new ArrayList<>();
        for (CompletableFuture<Timed> each : pending) {
            done.add(each.get(60, TimeUnit.SECONDS));
        }
        Timed first = done.get(0);
        Timed second = done.get(1);
        Timed third = done.get(2);

        // One runs, two wait; all three compile.
        for (Timed compiled : List.of(first, second, third)) {
            assertEquals(RawClient.Ending.EOF, compiled.reply().ending(), compiled.toString());
            assertEquals(0, compiled.reply().rc(), compiled.label() + ": " + compiled.reply().stderr());
        }
        // The rest is refused at once, while the first still compiles, and told why.
        for (Timed refused : done.subList(QUEUE_CAPACITY + 1, done.size())) {
            assertEquals(1, refused.reply().rc(), refused.label() + ": " + refused.reply().stdout());
            assertTrue(refused.reply().stderr().startsWith("Server: the server is busy: 1 compiles are running and "
                    + QUEUE_CAPACITY + " requests are waiting"), refused.label() + ": " + refused.reply().stderr());
            assertTrue(refused.completed().compareTo(first.completed()) < 0,
                    refused.label() + " was refused only at " + refused.completed().toMillis() + " ms, after the"
                            + " first compile ended at " + first.completed().toMillis() + " ms");
            assertTrue(refused.reply().waited().compareTo(Duration.ofSeconds(1)) < 0, refused.toString());
        }
        // First come, first served, one at a time: each waiting compile starts after the previous one ended.
        assertTrue(first.completed().compareTo(second.completed()) < 0
                && second.completed().compareTo(third.completed()) < 0,
                "completion order " + first.completed().toMillis() + ", " + second.completed().toMillis() + ", "
                        + third.completed().toMillis() + " ms is not the submission order");
        long[] firstRun = run(first);
        long[] secondRun = run(second);
        long[] thirdRun = run(third);
        assertTrue(secondRun[0] >= firstRun[1], "second started before first finished");
        assertTrue(thirdRun[0] >= secondRun[1], "third started before second finished");

        assertServes();
    }

    @Test
    void aHangingCompileIsKilledAtTheWallClockLimitWithItsChildren() throws Exception {
        int seconds = 3000 + ThreadLocalRandom.current().nextInt(900);
        RawClient.Reply reply = raw.exchange(request("hang:" + seconds), Duration.ofSeconds(60));
        assertEquals(RawClient.Ending.EOF, reply.ending(), reply.toString());
        assertEquals(1, reply.rc(), reply.stdout());
        assertTrue(reply.stderr().startsWith("Server: the compile exceeded the time limit of " + WALL_CLOCK.toSeconds()
                + " seconds"), reply.stderr());
        assertTrue(reply.waited().compareTo(WALL_CLOCK.minusMillis(300)) >= 0, reply.toString());
        assertTrue(reply.waited().compareTo(WALL_CLOCK.plusSeconds(5)) <= 0, reply.toString());
        List<String> survivors = ProcessHandle.allProcesses()
                .map(process -> process.info().commandLine().orElse(""))
                .filter(command -> command.endsWith("sleep " + seconds))
                .toList();
        assertEquals(List.of(), survivors, "the double's child outlived the kill");

        // The stock client, unchanged, gets the next compile from the freed slot.
        StapClient.Result result = client.run("--use-server=" + server.address(), "-r", release, "-p2", "-e",
                "after-the-hang");
        assertEquals(0, result.exitCode(), result.stderr());
        assertTrue(result.stdout().contains("test double compiled: after-the-hang"), result.stdout());
    }

    @Test
    void aFloodingCompileIsStoppedAtTheFileSizeLimitWithAClearMessage() throws Exception {
        RawClient.Reply reply = raw.exchange(request("flood"), Duration.ofSeconds(60));
        assertEquals(RawClient.Ending.EOF, reply.ending(), reply.toString());
        assertEquals(1, reply.rc(), reply.stderr());
        assertTrue(reply.stderr().startsWith("Server: the compile exceeded the file size limit of " + FILE_SIZE
                + " bytes"), reply.stderr());
        // The flood itself is not shipped to the client.
        assertTrue(reply.bytes().length < 64 * 1024, reply.toString());
        assertTrue(reply.waited().compareTo(WALL_CLOCK) < 0, "stopped by the clock, not the file size: " + reply);
        assertServes();
    }

    private static byte[] request(String script) {
        return RequestZip.request(release).argv("-r" + release, "-p2", "-e" + script).build();
    }

    /** The double's "started" and "finished" stamps (ns) of one compile. */
    private static long[] run(Timed timed) {
        Matcher started = Pattern.compile(timed.label() + " started (\\d+)").matcher(timed.reply().stdout());
        Matcher finished = Pattern.compile(timed.label() + " finished (\\d+)").matcher(timed.reply().stdout());
        assertTrue(started.find() && finished.find(), timed.label() + ": " + timed.reply().stdout());
        return new long[] {Long.parseLong(started.group(1)), Long.parseLong(finished.group(1))};
    }

    private static void assertServes() throws IOException {
        RawClient.Reply reply = raw.exchange(request("quick"), Duration.ofSeconds(60));
        assertEquals(0, reply.rc(), reply.stderr());
        assertTrue(reply.stdout().contains("test double compiled: quick"), reply.stdout());
    }
}
