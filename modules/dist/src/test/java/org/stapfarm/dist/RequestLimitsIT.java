package org.stapfarm.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The request size limits as the stock client meets them: over either limit, the unchanged Debian client
 * shows the server's `Server:` line naming the limit (the reference server just closes, and the client
 * can only say "Unable to unzip the server response"). Two servers, one per limit, started together.
 */
class RequestLimitsIT {

    private static final long MAX_COMPRESSED = 2000;
    private static final long MAX_UNCOMPRESSED = 20000;

    private static ServerProcess compressedLimited;
    private static ServerProcess uncompressedLimited;
    private static String release;
    private static StapClient client;

    @BeforeAll
    static void startServers() throws Exception {
        release = Releases.first();
        CompletableFuture<ServerProcess> compressed = start("--max-compressed-request", MAX_COMPRESSED);
        CompletableFuture<ServerProcess> uncompressed = start("--max-request-size", MAX_UNCOMPRESSED);
        compressedLimited = compressed.get();
        uncompressedLimited = uncompressed.get();
        client = StapClient.create();
        for (ServerProcess server : List.of(compressedLimited, uncompressedLimited)) {
            StapClient.Result trusted = client.trust(server);
            assertEquals(0, trusted.exitCode(), trusted.stderr());
        }
    }

    @AfterAll
    static void stopServers() throws Exception {
        for (ServerProcess server : new ServerProcess[] {compressedLimited, uncompressedLimited}) {
            if (server != null) {
                server.close();
            }
        }
    }

    @Test
    void aRequestOverTheCompressedLimitShowsTheServersReason() throws Exception {
        // 8 KB of random printable text: deflate cannot bring it under 2000 bytes.
        Random random = new Random(9);
        StringBuilder script = new StringBuilder("# ");
        for (int i = 0; i < 8000; i++) {
            script.append((char) ('!' + random.nextInt(94)));
        }
        script.append("\nprobe begin { exit() }\n");
        Path file = clientFile("incompressible.stp", script.toString());

        StapClient.Result result = client.run("--use-server=" + compressedLimited.address(), "-r", release, "-p2",
                file.toString());
        assertEquals(1, result.exitCode(), result.stdout());
        assertTrue(result.stderr().contains("Server: the request of "), result.stderr());
        assertTrue(result.stderr().contains(" bytes exceeds this server's limit of " + MAX_COMPRESSED
                + " compressed bytes"), result.stderr());
        assertFalse(result.stderr().contains("Unable to unzip"), result.stderr());

        assertServes(compressedLimited);
    }

    @Test
    void aRequestOverTheUncompressedLimitShowsTheServersReason() throws Exception {
        // 60 KB that deflates to a few hundred bytes: under the default compressed limit, over 20000 unpacked.
        String script = "# padding padding padding padding padding padding padding padding\n".repeat(900)
                + "probe begin { exit() }\n";
        Path file = clientFile("compressible.stp", script);

        StapClient.Result result = client.run("--use-server=" + uncompressedLimited.address(), "-r", release,
                "-p2", file.toString());
        assertEquals(1, result.exitCode(), result.stdout());
        assertTrue(result.stderr().contains("Server: the request unpacks to more than the server's limit of "
                + MAX_UNCOMPRESSED + " bytes"), result.stderr());
        assertFalse(result.stderr().contains("Unable to unzip"), result.stderr());

        assertServes(uncompressedLimited);
    }

    private static CompletableFuture<ServerProcess> start(String option, long value) {
        return RawClient.inBackground(() -> {
            try {
                return ServerProcess.start(List.of("-r", release, option, Long.toString(value)), Map.of());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** A script file in the client's working directory, readable by the test user. */
    private static Path clientFile(String name, String content) throws Exception {
        Path file = client.workingDirectory.resolve(name);
        Files.writeString(file, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        return file;
    }

    /** A small stock-client request still compiles on that server. */
    private static void assertServes(ServerProcess server) throws Exception {
        StapClient.Result result = client.run("--use-server=" + server.address(), "-r", release, "-p2", "-e",
                StapClient.HELLO);
        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals(StapClient.HELLO_PASS_2, result.stdout());
    }
}
