package org.stapfarm.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stapfarm.dist.StapClient.HELLO;
import static org.stapfarm.dist.StapClient.HELLO_PASS_2;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.stapfarm.security.Certificates;
import org.stapfarm.security.ServerIdentity;

/**
 * The 2009-2011 client utilities (`stap-authorize-server-cert`, `stap-add-server-cert`,
 * `stap-authorize-signing-cert`, `stap-find-servers`, `stap-client`) against a stapfarm server started
 * through the real launcher, all run as the unprivileged test user.
 */
class LegacyClientToolsIT {

    private static final Duration TIMEOUT = Duration.ofMinutes(5);
    private static final String AUTHORIZE_SERVER = "org.stapfarm.cli.trust.AuthorizeServerCert";
    private static final String ADD_SERVER = "org.stapfarm.cli.trust.AddServerCert";
    private static final String AUTHORIZE_SIGNER = "org.stapfarm.cli.trust.AuthorizeSigningCert";
    private static final String FIND_SERVERS = "org.stapfarm.cli.discovery.FindServers";
    private static final String STAP_CLIENT = "org.stapfarm.cli.client.StapClient";
    private static final Pattern REQUESTS = Pattern.compile("Request from \\S+ for ");

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

    private static Commands.Result command(String mainClass, Map<String, String> environment, String... arguments)
            throws IOException, InterruptedException {
        return Commands.asTestUser(Commands.command(mainClass, List.of(arguments)), environment, TIMEOUT);
    }

    private static Commands.Result command(String mainClass, String... arguments) throws IOException, InterruptedException {
        return command(mainClass, Map.of(), arguments);
    }

    private static String certificate() {
        return server.sslDirectory.resolve("stap.cert").toString();
    }

    private static int requestsSeen() throws IOException {
        Matcher matcher = REQUESTS.matcher(server.logText());
        int count = 0;
        while (matcher.find()) {
            count++;
        }
        return count;
    }

    /**
     * A database written by stap-authorize-server-cert is one NSS reads: stap-client compiles through it
     * (given with --ssl), and the stock client, finding it as its own $SYSTEMTAP_DIR/ssl/client, too.
     */
    @Test
    void anAuthorizedServerCompilesForStapClientAndTheStockClient() throws Exception {
        StapClient stock = StapClient.create();
        Path database = stock.systemtapDirectory.resolve("ssl/client");
        Commands.Result authorize = command(AUTHORIZE_SERVER, certificate(), database.toString());
        assertEquals(0, authorize.exitCode(), authorize.stderr());
        assertEquals("", authorize.stdout() + authorize.stderr());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(database)));

        Commands.Result p2 = command(STAP_CLIENT, "--ssl", database.toString(), "--server=" + server.address(),
                "-r", release, "-p2", "-e", HELLO);
        assertEquals(0, p2.exitCode(), p2.stderr());
        assertEquals(HELLO_PASS_2, p2.stdout());

        Commands.Result p3 = command(STAP_CLIENT, "--ssl=" + database, "--server", "[::1]:" + server.port,
                "-r", release, "-p3", "-e", HELLO);
        assertEquals(0, p3.exitCode(), p3.stderr());
        assertTrue(p3.stdout().contains("MODULE_LICENSE(\"GPL\");"), p3.stdout());

        StapClient.Result viaStock = stock.run("--use-server=" + server.address(), "-r", release, "-p2", "-e", HELLO);
        assertEquals(0, viaStock.exitCode(), viaStock.stderr());
        assertEquals(HELLO_PASS_2, viaStock.stdout());
    }

    /** The script file travels as script/<path>; the server's pass-2 output is that of the inline script. */
    @Test
    void aScriptFileAndItsArgumentsAreSent() throws Exception {
        Path directory = TestUser.INSTANCE.newDirectory(Workspace.INSTANCE.root, "legacy-script-");
        Path database = directory.resolve("db");
        assertEquals(0, command(ADD_SERVER, certificate(), database.toString()).exitCode());
        Path script = directory.resolve("hello.stp");
        Files.writeString(script, HELLO);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rw-r--r--"));

        Commands.Result result = command(STAP_CLIENT, "--ssl=" + database, "--server=" + server.address(), "-r",
                release, "-p2", script.toString(), "an argument");
        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals(HELLO_PASS_2, result.stdout());
    }

    @Test
    void anUntrustedServerIsRefusedAndCompilesNothing() throws Exception {
        Path directory = TestUser.INSTANCE.newDirectory(Workspace.INSTANCE.root, "legacy-untrusted-");
        Path other = directory.resolve("other.cert");
        Files.write(other, Certificates.encode(ServerIdentity.generate(List.of("elsewhere"), 2048, Duration.ofDays(30),
                Instant.now()).certificate()));
        Files.setPosixFilePermissions(other, PosixFilePermissions.fromString("rw-r--r--"));
        Path database = directory.resolve("db");
        assertEquals(0, command(AUTHORIZE_SERVER, other.toString(), database.toString()).exitCode());
        int before = requestsSeen();

        Commands.Result result = command(STAP_CLIENT, "--ssl=" + database, "--server=" + server.address(), "-r",
                release, "-p2", "-e", HELLO);

        assertEquals(1, result.exitCode(), result.stderr());
        assertEquals("", result.stdout());
        assertTrue(result.stderr().contains("stap-client: Server " + server.address() + " is not trusted: its certificate"
                + " (serial " + server.certinfo + ", SHA-1 fingerprint "), result.stderr());
        assertTrue(result.stderr().endsWith("stap-client: ERROR: Unable to connect to a server\n"), result.stderr());
        assertEquals(before, requestsSeen(), "the server received no request");
    }

    @Test
    void aGroupWritableDatabaseIsRefused() throws Exception {
        Path directory = TestUser.INSTANCE.newDirectory(Workspace.INSTANCE.root, "legacy-writable-");
        Path database = directory.resolve("db");
        assertEquals(0, command(AUTHORIZE_SERVER, certificate(), database.toString()).exitCode());
        Files.setPosixFilePermissions(database, PosixFilePermissions.fromString("rwxrwx---"));

        Commands.Result result = command(STAP_CLIENT, Map.of("SYSTEMTAP_DIR", directory.resolve("none").toString()),
                "--ssl=" + database, "--server=" + server.address(), "-r", release, "-p2", "-e", HELLO);

        assertEquals(1, result.exitCode(), result.stderr());
        assertTrue(result.stderr().contains("stap-client: WARNING: Certificate database '" + database
                + "' is writable by group or others (mode 0770)\n"
                + "stap-client: WARNING: Unable to use certificate database '" + database + "' due to errors\n"),
                result.stderr());
        assertTrue(result.stderr().endsWith("stap-client: ERROR: No usable certificate databases found\n"), result.stderr());
    }

    @Test
    void authorizeToolsReportMissingAndBadCertificateFiles() throws Exception {
        Path directory = TestUser.INSTANCE.newDirectory(Workspace.INSTANCE.root, "legacy-files-");
        Commands.Result none = command(AUTHORIZE_SERVER);
        assertEquals(1, none.exitCode());
        assertEquals("Certificate file must be specified\n", none.stderr());

        Path missing = directory.resolve("missing.cert");
        Commands.Result notFound = command(AUTHORIZE_SIGNER, missing.toString(), directory.resolve("db").toString());
        assertEquals(1, notFound.exitCode());
        assertEquals("Cannot find certificate file " + missing + "\n", notFound.stderr());

        Commands.Result noDirectory = command(ADD_SERVER, certificate());
        assertEquals(1, noDirectory.exitCode());
        assertEquals("Certificate database directory must be specified\n", noDirectory.stderr());

        Path junk = directory.resolve("junk.cert");
        Files.writeString(junk, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
        Files.setPosixFilePermissions(junk, PosixFilePermissions.fromString("rw-r--r--"));
        Commands.Result bad = command(AUTHORIZE_SERVER, junk.toString(), directory.resolve("db").toString());
        assertEquals(1, bad.exitCode());
        assertTrue(bad.stderr().startsWith("Certificate file " + junk + " does not hold an X.509 certificate"), bad.stderr());
        assertFalse(Files.exists(directory.resolve("db")), "no database for a bad certificate");
        assertEquals("", none.stdout() + notFound.stdout() + noDirectory.stdout() + bad.stdout());
    }

    /** A signer database in a DIRNAME: the certificate stored and trusted as upstream stores and trusts it. */
    @Test
    void aSigningCertificateIsAuthorizedIntoADirectory() throws Exception {
        Path directory = TestUser.INSTANCE.newDirectory(Workspace.INSTANCE.root, "legacy-signer-");
        Path database = directory.resolve("staprun");
        Commands.Result result = command(AUTHORIZE_SIGNER, certificate(), database.toString());
        assertEquals(0, result.exitCode(), result.stderr());

        Commands.Result listing = Commands.asTestUser(List.of("certutil", "-L", "-d", "sql:" + database), Map.of(), TIMEOUT);
        assertEquals(0, listing.exitCode(), listing.stderr());
        assertTrue(Pattern.compile("(?m)^stap-server\\s+P,P,P$").matcher(listing.stdout()).find(),
                listing.stdout());
    }

    /** Nothing runs a node for the test user's SYSTEMTAP_DIR here: nothing found, status 1, and quickly. */
    @Test
    void findServersWithoutANode() throws Exception {
        Path directory = TestUser.INSTANCE.newDirectory(Workspace.INSTANCE.root, "legacy-find-");
        Map<String, String> environment = Map.of("SYSTEMTAP_DIR", directory.toString());
        Commands.Result all = command(FIND_SERVERS, environment, "--all");
        assertEquals(1, all.exitCode(), all.stderr());
        assertEquals("", all.stdout() + all.stderr());

        Commands.Result bad = command(FIND_SERVERS, environment, "--al");
        assertEquals(1, bad.exitCode());
        assertTrue(bad.stderr().startsWith("stap-find-servers: unrecognized option '--al'"), bad.stderr());

        assertTrue(all.elapsed().compareTo(Duration.ofSeconds(10)) < 0, all.elapsed().toString());
    }
}
