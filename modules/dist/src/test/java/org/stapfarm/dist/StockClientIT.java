package org.stapfarm.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The stock Debian `stap` client against a stapfarm server started through the real launcher. */
class StockClientIT {

    private static final String HELLO = "probe begin { printf(\"Hello World!\\n\"); exit() }";

    private static ServerProcess server;
    private static String release;

    @BeforeAll
    static void startServer() throws Exception {
        release = Releases.first();
        server = ServerProcess.start(List.of("-r", release), Map.of());
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void untrustedServerIsRefusedUntilTheClientTrustsIt() throws Exception {
        StapClient client = StapClient.create();
        StapClient.Result before = client.run("--use-server=" + server.address(), "-r", release, "-p2", "-e", HELLO);
        assertNotEquals(0, before.exitCode());
        assertTrue(before.stderr().contains("Unable to connect to a server"), before.stderr());

        assertEquals(0, client.trust(server).exitCode());
        StapClient.Result after = client.run("--use-server=" + server.address(), "-r", release, "-p2", "-e", HELLO);
        assertEquals(0, after.exitCode(), after.stderr());
        assertTrue(after.stdout().contains("begin /* <- begin */"), after.stdout());
    }
}
