package org.stapfarm.dist;

import static org.stapfarm.dist.StapClient.HELLO;
import static org.stapfarm.dist.StapClient.HELLO_PASS_2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Trust in a server, both directions of protocol spec section 6, with the stock client and stapfarm's tools:
 * the user who starts a server trusts it at once, in the NSS database the stock client reads and in the
 * Java trust store `stap-client` reads; revoking it there makes both clients refuse it.
 */
class ServerTrustIT {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static final String STAP_CLIENT = "org.stapfarm.cli.client.StapClient";

    private static String release;

    @BeforeAll
    static void release() {
        release = Releases.first();
    }

    /**
     * Like the reference server (spec 4.10), `stap-serverd` adds its certificate to its user's client
     * database; that user's stock client and `stap-client` then compile through it with no `--trust-servers`.
     * Revoking it with `stap-authorize-server-cert --revoke` makes both refuse it again.
     */
    @Test
    void theUserWhoStartsAServerTrustsItUntilItIsRevoked() throws Exception {
        try (ServerProcess server = ServerProcess.start(List.of("-r", release), Map.of())) {
            Path database = server.systemtapDirectory.resolve("ssl/client");
            awaitFile(database.resolve("stapfarm-trust.p12"));
            Map<String, String> sameUser = Map.of("SYSTEMTAP_DIR", server.systemtapDirectory.toString());

            StapClient.Result stock = stock(server, sameUser);
            assertEquals(0, stock.exitCode(), stock.stderr());
            assertEquals(HELLO_PASS_2, stock.stdout());
            Commands.Result legacy = stapClient(server, sameUser);
            assertEquals(0, legacy.exitCode(), legacy.stderr());
            assertEquals(HELLO_PASS_2, legacy.stdout());
            assertTrue(server.logText().contains("Certificate " + server.certinfo + " is trusted by this user's"
                    + " clients (" + database + ")"), server.logText());

            Commands.Result revoked = Commands.asTestUser(List.of(Workspace.INSTANCE.bin("stap-authorize-server-cert")
                    .toString(), "--revoke", server.sslDirectory.resolve("stap.cert").toString()), sameUser, TIMEOUT);
            assertEquals(0, revoked.exitCode(), revoked.stderr());

            StapClient.Result refusedStock = stock(server, sameUser);
            assertEquals(1, refusedStock.exitCode(), refusedStock.stderr());
            assertTrue(refusedStock.stderr().contains("Unable to connect to a server."), refusedStock.stderr());
            Commands.Result refusedLegacy = stapClient(server, sameUser);
            assertEquals(1, refusedLegacy.exitCode(), refusedLegacy.stderr());
            assertTrue(refusedLegacy.stderr().contains("stap-client: Server " + server.address() + " is not trusted"),
                    refusedLegacy.stderr());
        }
    }

    /** `stap-start-server` runs the server in the user's node, which does the same for that user. */
    @Test
    void aServerStartedThroughTheNodeIsTrustedByItsUser() throws Exception {
        try (ManagedHost host = ManagedHost.create()) {
            int port = ManagedHost.freePort();
            Commands.Result started = host.run("stap-start-server", "-r", release, "--port", Integer.toString(port));
            assertEquals(0, started.exitCode(), started.stderr());
            awaitFile(host.home.resolve(".systemtap/ssl/client/stapfarm-trust.p12"));

            StapClient client = StapClient.create();
            StapClient.Result result = client.run(Map.of("SYSTEMTAP_DIR", host.home.resolve(".systemtap").toString()),
                    List.of("--use-server=127.0.0.1:" + port, "-r", release, "-p2", "-e", HELLO));
            assertEquals(0, host.run("stap-stop-server", started.stdout().strip()).exitCode());
            assertEquals(0, result.exitCode(), result.stderr());
            assertEquals(HELLO_PASS_2, result.stdout());
        }
    }

    /** Any other user's client still refuses the server: trust is per user. */
    @Test
    void anotherClientDoesNotTrustIt() throws Exception {
        try (ServerProcess server = ServerProcess.start(List.of("-r", release), Map.of())) {
            StapClient.Result result = StapClient.create().run("--use-server=" + server.address(), "-r", release,
                    "-p2", "-e", HELLO);
            assertEquals(1, result.exitCode(), result.stderr());
            assertTrue(result.stderr().contains("Unable to connect to a server."), result.stderr());
        }
    }

    /**
     * The farm identity (`stapfarm.identity.directory`, docs/operations.md): two servers, standing for two
     * nodes, present the one certificate in it, so a client that trusted one of them trusts both.
     */
    @Test
    void serversSharingTheFarmIdentityAreTrustedOnce() throws Exception {
        Path identity = TestUser.INSTANCE.newDirectory(Workspace.INSTANCE.root, "farm-identity-");
        try (ServerProcess first = ServerProcess.startWithFarmIdentity(List.of("-r", release), identity);
             ServerProcess second = ServerProcess.startWithFarmIdentity(List.of("-r", release), identity)) {
            assertEquals(first.certinfo, second.certinfo);
            assertTrue(Files.exists(identity.resolve("stap.key")));
            StapClient client = StapClient.trusting(first);

            StapClient.Result result = client.run("--use-server=" + second.address(), "-r", release, "-p2", "-e",
                    HELLO);

            assertEquals(0, result.exitCode(), result.stderr());
            assertEquals(HELLO_PASS_2, result.stdout());
        }
    }

    private static StapClient.Result stock(ServerProcess server, Map<String, String> environment) throws Exception {
        return StapClient.create().run(environment, List.of("--use-server=" + server.address(), "-r", release, "-p2",
                "-e", HELLO));
    }

    private static Commands.Result stapClient(ServerProcess server, Map<String, String> environment)
            throws Exception {
        return Commands.asTestUser(Commands.command(STAP_CLIENT, List.of("--server=" + server.address(), "-r", release,
                "-p2", "-e", HELLO)), environment, TIMEOUT);
    }

    /** The node trusts its certificate in the background, right after it starts listening. */
    private static void awaitFile(Path file) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!Files.exists(file) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(Files.exists(file), file + " was not written");
    }
}
