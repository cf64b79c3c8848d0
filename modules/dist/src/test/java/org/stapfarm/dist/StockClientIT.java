package org.stapfarm.dist;

import static org.stapfarm.dist.StapClient.HELLO;
import static org.stapfarm.dist.StapClient.HELLO_PASS_2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The stock Debian `stap` client against a stapfarm server started through the real launcher. */
class StockClientIT {

    private static final String UNSUPPORTED_RELEASE = "9.9.9-stapfarm";
    private static final Pattern KEPT_DIRECTORY = Pattern.compile("Keeping temporary directory \"([^\"]+)\"");

    private static ServerProcess server;
    private static String release;
    /** A client that trusts the server; tests that need an untrusted one make their own. */
    private static StapClient trusted;

    @BeforeAll
    static void startServer() throws Exception {
        release = Releases.first();
        server = ServerProcess.start(List.of("-r", release), Map.of());
        trusted = StapClient.trusting(server);
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

    /**
     * Trust lives in each user's client database (SYSTEMTAP_DIR): a second user is refused until it
     * trusts the server itself, then both users are served, without restarting the server.
     */
    @Test
    void aSecondUserIsServedAfterTrustingTheServer() throws Exception {
        StapClient first = StapClient.create();
        StapClient second = StapClient.create();
        assertEquals(0, first.trust(server).exitCode());

        StapClient.Result refused = second.run("--use-server=" + server.address(), "-r", release, "-p2", "-e", HELLO);
        assertEquals(1, refused.exitCode(), refused.stderr());
        assertTrue(refused.stderr().contains("Unable to connect to a server"), refused.stderr());

        StapClient.Result trust = second.trust(server);
        assertEquals(0, trust.exitCode(), trust.stderr());
        assertTrue(trust.stderr().contains("Adding trust in the following servers as an SSL peer for the current user"),
                trust.stderr());
        assertTrue(Files.isDirectory(second.systemtapDirectory.resolve("ssl/client")), "the second user's trust DB");

        for (StapClient client : List.of(second, first)) {
            StapClient.Result result = client.run("--use-server=" + server.address(), "-r", release, "-p2", "-e",
                    HELLO);
            assertEquals(0, result.exitCode(), result.stderr());
            assertEquals(HELLO_PASS_2, result.stdout());
        }
    }

    /**
     * A release the server has no build tree for: the server answers `rc` 1 with a `Server:` line naming
     * the release asked for and the releases it has (spec 4.9, the recommended behaviour), instead of
     * the reference server's bare `version`-only response.
     */
    @Test
    void anUnsupportedReleaseIsRefusedWithTheReleasesTheServerHas() throws Exception {
        assertFalse(Releases.installed().contains(UNSUPPORTED_RELEASE));
        StapClient.Result result = trusted.run("--use-server=" + server.address(), "-r", UNSUPPORTED_RELEASE, "-p2",
                "-e", HELLO);

        assertEquals(1, result.exitCode(), result.stderr());
        assertEquals("", result.stdout());
        String line = result.stderr().lines().filter(text -> text.startsWith("Server: Target kernel version "))
                .findFirst().orElseThrow(() -> new AssertionError("no Server: line in\n" + result.stderr()));
        assertTrue(line.startsWith("Server: Target kernel version " + UNSUPPORTED_RELEASE), line);
        assertTrue(line.contains("is not supported"), line);
        assertTrue(line.contains(release), "names the server's release " + release + ": " + line);
        assertTrue(result.stderr().contains("Passes: via server failed."), result.stderr());
        // Not the reference server's version-only answer.
        assertFalse(result.stderr().contains("Unable to open file"), result.stderr());
    }

    /**
     * The client sends its locale variables (here LANG and LC_MESSAGES, both valid) in the `locale`
     * file; the server accepts them silently and the request succeeds as without them.
     */
    @Test
    void aRequestWithLocaleVariablesSucceeds() throws Exception {
        List<String> arguments = List.of("--use-server=" + server.address(), "-r", release, "-p2", "-e", HELLO);
        StapClient.Result plain = trusted.run(Map.of(), arguments);
        StapClient.Result localised = trusted.run(Map.of("LANG", "C.UTF-8", "LC_MESSAGES", "C"), arguments);

        assertEquals(0, localised.exitCode(), localised.stderr());
        assertEquals(HELLO_PASS_2, localised.stdout());
        assertEquals(plain.stdout(), localised.stdout());
        assertEquals(plain.stderr(), localised.stderr());
        assertFalse(localised.stderr().contains("Server: Localization"), localised.stderr());
    }

    /**
     * The real client copies its locale variables verbatim, so a value the server must not pass on can
     * come from it: the server names each one in a `Server:` line at the head of stderr (spec 4.7), ignores
     * it, and compiles anyway.
     */
    @Test
    void illegalLocaleValuesAreReportedButNotFatal() throws Exception {
        StapClient.Result result = trusted.run(Map.of("LC_MESSAGES", "C;x", "LC_TIME", "de DE"),
                List.of("--use-server=" + server.address(), "-r", release, "-p2", "-e", HELLO));

        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals(HELLO_PASS_2, result.stdout());
        List<String> lines = result.stderr().lines().toList();
        assertTrue(lines.size() >= 2, result.stderr());
        // The client lists LC_MESSAGES before LC_TIME (spec 2.2), and the server keeps that order.
        assertEquals("Server: Localization value 'C;x' contains illegal characters", lines.get(0));
        assertEquals("Server: Localization value 'de DE' contains illegal characters", lines.get(1));
    }

    /**
     * `localhost:PORT`: the client checks the name against the certificate, prints the domain-name
     * mismatch warning of spec 1.2 (one line per DNS name of the certificate) and carries on.
     */
    @Test
    void localhostWorksWithTheDomainNameWarning() throws Exception {
        StapClient.Result result = trusted.run("--use-server=localhost:" + server.port, "-r", release, "-p2", "-e",
                HELLO);

        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals(HELLO_PASS_2, result.stdout());
        StringBuilder warning = new StringBuilder(
                "WARNING: The domain name, localhost, does not match the DNS name(s) on the server certificate:\n");
        List<String> names = certificateDnsNames();
        assertFalse(names.isEmpty(), "the server certificate has DNS names");
        assertFalse(names.contains("localhost"), "otherwise there would be no mismatch: " + names);
        names.forEach(name -> warning.append("  ").append(name).append('\n'));
        assertTrue(result.stderr().contains(warning), "expected\n" + warning + "in\n" + result.stderr());
    }

    @Test
    void anIpAddressTargetGetsNoDomainNameWarning() throws Exception {
        StapClient.Result result = trusted.run("--use-server=" + server.address(), "-r", release, "-p2", "-e", HELLO);
        assertEquals(0, result.exitCode(), result.stderr());
        assertFalse(result.stderr().contains("WARNING: The domain name"), result.stderr());
    }

    /** `[::1]:PORT`: the server's dual-stack socket serves IPv6 clients; its log shows the IPv6 peer. */
    @Test
    void ipv6LoopbackWorks() throws Exception {
        assumeTrue(ipv6LoopbackUsable(), "no IPv6 loopback on this machine");
        StapClient.Result result = trusted.run("--use-server=[::1]:" + server.port, "-r", release, "-p2", "-e", HELLO);

        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals(HELLO_PASS_2, result.stdout());
        assertTrue(Pattern.compile("Request from \\S*(0:0:0:0:0:0:0:1|::1)\\S* for " + Pattern.quote(release))
                .matcher(server.logText()).find(), server.logText());
    }

    /**
     * `-m mymodule -p3`: the translator names its files after the module, and the response carries
     * them. The C code on stdout does not contain the module name (neither locally nor via a server),
     * so the test looks at the response files the client unpacked, kept with the client's `-k`, and at
     * `-v`'s pass-3 line. The 4.8 client also prints `Copy failed (".../mymodule.ko" to "mymodule.ko")`
     * on stderr with exit 0 for `-m` below pass 4: a client quirk, the same with the reference server.
     */
    @Test
    void moduleNameOptionNamesTheResponseFiles() throws Exception {
        StapClient.Result result = trusted.run("--use-server=" + server.address(), "-r", release, "-p3", "-v", "-k",
                "-m", "mymodule", "-e", HELLO);
        Matcher kept = KEPT_DIRECTORY.matcher(result.stderr());
        Path keptDirectory = kept.find() ? Path.of(kept.group(1)) : null;
        try {
            assertEquals(0, result.exitCode(), result.stderr());
            assertTrue(result.stderr().contains("Pass 3: translated to C into \"<server>/stap000000/mymodule_src.c\""),
                    result.stderr());
            assertTrue(result.stdout().contains("MODULE_LICENSE(\"GPL\");"), "C code on stdout");
            assertTrue(keptDirectory != null, "-k keeps the client directory: " + result.stderr());

            List<String> files = fileNames(keptDirectory.resolve("server/stap000000"));
            assertTrue(files.contains("mymodule_src.c"), files.toString());
            assertTrue(files.stream().anyMatch(name -> name.startsWith("mymodule_aux_")), files.toString());
            assertFalse(files.stream().anyMatch(name -> name.matches("stap_[0-9a-f]{32}_.*")), files.toString());

            StapClient.Result local = trusted.run("-r", release, "-p3", "-m", "mymodule", "-e", HELLO);
            assertEquals(0, local.exitCode(), local.stderr());
            assertEquals(local.stdout(), result.stdout());
        } finally {
            if (keptDirectory != null) {
                TestFiles.deleteTree(keptDirectory);
            }
        }
    }

    private static List<String> fileNames(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(file -> file.getFileName().toString()).sorted().toList();
        }
    }

    /** The dNSName entries of the server's certificate, in order. */
    private static List<String> certificateDnsNames() throws Exception {
        X509Certificate certificate;
        try (InputStream in = Files.newInputStream(server.sslDirectory.resolve("stap.cert"))) {
            certificate = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        List<String> names = new ArrayList<>();
        Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
        if (alternatives != null) {
            for (List<?> entry : alternatives) {
                if (Integer.valueOf(2).equals(entry.get(0))) {
                    names.add((String) entry.get(1));
                }
            }
        }
        return names;
    }

    private static boolean ipv6LoopbackUsable() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
