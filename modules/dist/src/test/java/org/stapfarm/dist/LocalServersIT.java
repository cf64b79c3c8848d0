package org.stapfarm.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/**
 * The utilities that find servers, against servers started through the launchers: `stap-find-servers`,
 * `stap-find-or-start-server`, and `stap-client` choosing a server by itself (without mDNS, the servers
 * of the user's own node).
 */
class LocalServersIT {

    @Test
    void findOrStartStartsOnceThenFindsAndTheClientUsesWhatItFinds() throws Exception {
        String release = Releases.first();
        int port = ManagedHost.freePort();
        try (ManagedHost host = ManagedHost.create()) {
            Commands.Result nothing = host.run("stap-find-servers", "--all");
            assertEquals(1, nothing.exitCode(), nothing.toString());
            assertEquals("", nothing.stdout());

            Commands.Result started = host.run("stap-find-or-start-server", "-r", release, "--port", "" + port);
            assertEquals(0, started.exitCode(), started.toString());
            String id = started.stdout().strip();
            assertTrue(id.matches("\\d{8,}"), "a new server's id: " + started);

            Commands.Result found = host.run("stap-find-or-start-server", "-r", release, "--port", "" + port);
            assertEquals(0, found.exitCode(), found.toString());
            assertEquals("0\n", found.stdout(), "a server for that release runs already");

            Commands.Result listed = host.run("stap-find-servers", "--all");
            assertEquals(0, listed.exitCode(), listed.toString());
            String hostName = InetAddress.getLocalHost().getHostName();
            assertEquals(hostName + " 127.0.0.1 " + port + " 'sysinfo=" + release + " x86_64'\n", listed.stdout());

            Commands.Result authorize = host.run("stap-authorize-server-cert", host.serverCertificate().toString());
            assertEquals(0, authorize.exitCode(), authorize.toString());
            Commands.Result compiled = host.run("stap-client", "-r", release, "-p2", "-e", StapClient.HELLO);
            assertEquals(0, compiled.exitCode(), compiled.toString());
            assertTrue(compiled.stdout().contains(StapClient.HELLO_PASS_2), compiled.stdout());

            Commands.Result invalid = host.run("stap-find-or-start-server", "--max-threads=many");
            assertEquals(0, invalid.exitCode(), "exit 0 in all cases, as the newer manual page says");
            assertEquals("-1\n", invalid.stdout());
            assertTrue(invalid.stderr().contains("max-threads"), invalid.stderr());

            assertEquals(0, host.run("stap-stop-server", id).exitCode());
        }
    }
}
