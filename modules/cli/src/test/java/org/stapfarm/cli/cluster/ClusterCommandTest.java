package org.stapfarm.cli.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.security.Certificates;
import org.stapfarm.security.ClusterAuthority;
import org.stapfarm.security.ClusterCredentials;
import org.stapfarm.security.NodeIdentity;

class ClusterCommandTest {

    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private static final long USER = 1000;

    @TempDir
    Path tmp;

    private Path systemtap;
    private Path caDirectory;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void directories() {
        systemtap = tmp.resolve("home/.systemtap");
        caDirectory = tmp.resolve("ca");
    }

    /** No command may ever show a stack trace. */
    @AfterEach
    void noStackTraces() {
        assertFalse(stderr().contains("\tat "), stderr());
        assertFalse(stderr().contains("Exception"), stderr());
    }

    private int run(String... arguments) {
        out.reset();
        err.reset();
        return ClusterCommand.run(List.of(arguments), Map.of("SYSTEMTAP_DIR", systemtap.toString()), USER,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Clock.fixed(NOW, ZoneOffset.UTC));
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /** The single line a failure prints. */
    private void assertFailure(String message) {
        assertEquals("stapfarm-cluster: " + message + "\n", stderr());
    }

    private X509Certificate createCa() throws Exception {
        assertEquals(0, run("create-ca", "--dir", caDirectory.toString(), "--name", "lab", "--days", "30"), stderr());
        return ClusterAuthority.load(caDirectory).certificate();
    }

    @Test
    void createCaMakesACaAndSaysHowToGoOn() throws Exception {
        X509Certificate ca = createCa();
        assertEquals("CN=lab,O=stapfarm cluster CA", ca.getSubjectX500Principal().getName());
        assertEquals(NOW.plus(Duration.ofDays(30)), ca.getNotAfter().toInstant());
        assertEquals("Created the cluster CA in " + caDirectory + "\n"
                + "CA:          CN=lab,O=stapfarm cluster CA\n"
                + "CA SHA-256:  " + Certificates.sha256Fingerprint(ca) + "\n"
                + "Valid:       " + NOW.minus(Duration.ofMinutes(5)) + " to " + NOW.plus(Duration.ofDays(30)) + "\n"
                + "Keep " + caDirectory + " to yourself: whoever reads it can let any machine into the cluster.\n"
                + "Next, for each node: stapfarm-cluster issue --ca " + caDirectory + " --host HOST --out DIR\n",
                stdout());
        assertEquals("", stderr());
    }

    @Test
    void createCaNeverReplacesACa() throws Exception {
        createCa();
        byte[] store = Files.readAllBytes(caDirectory.resolve(ClusterAuthority.KEY_STORE));
        assertEquals(1, run("create-ca", "--dir", caDirectory.toString()));
        assertFailure(caDirectory.toRealPath() + " already holds a cluster CA; refusing to replace it, since the nodes"
                + " it issued certificates to would no longer be trusted");
        assertEquals("", stdout());
        assertArrayEquals(store, Files.readAllBytes(caDirectory.resolve(ClusterAuthority.KEY_STORE)));
    }

    @Test
    void createCaDefaultsToTheUsersSystemtapDirectoryOrForRootToEtc() throws Exception {
        assertEquals(0, run("create-ca"), stderr());
        assertEquals("CN=stapfarm,O=stapfarm cluster CA",
                ClusterAuthority.load(systemtap.resolve("stapfarm/cluster-ca")).certificate()
                        .getSubjectX500Principal().getName());
        assertEquals(Path.of("/etc/stapfarm/cluster-ca"), ClusterCommand.defaultCaDirectory(Map.of(), 0));
        assertEquals(Path.of("/home/u/.systemtap/stapfarm/cluster-ca"),
                ClusterCommand.defaultCaDirectory(Map.of("HOME", "/home/u"), USER));
    }

    @Test
    void issueWritesCredentialsWhereTheNodeLooksForThem() throws Exception {
        X509Certificate ca = createCa();
        assertEquals(0, run("issue", "--ca", caDirectory.toString(), "--host", "node1.example.com", "--host",
                "10.0.0.5", "--days", "7"), stderr());
        Path credentials = systemtap.resolve("stapfarm/cluster");
        NodeIdentity node = ClusterCredentials.find(credentials).orElseThrow().read();
        assertEquals(ca, node.authority());
        assertEquals(List.of("DNS:node1.example.com", "IP:10.0.0.5"), node.subjectAltNames());
        assertEquals(NOW.plus(Duration.ofDays(7)), node.certificate().getNotAfter().toInstant());
        assertEquals("Wrote node.p12, trust.p12 and password to " + credentials + "\n"
                + "Node:        CN=node1.example.com,O=stapfarm node\n"
                + "Names:       DNS:node1.example.com, IP:10.0.0.5\n"
                + "Valid:       " + NOW.minus(Duration.ofMinutes(5)) + " to " + NOW.plus(Duration.ofDays(7)) + "\n"
                + "CA:          CN=lab,O=stapfarm cluster CA\n"
                + "CA SHA-256:  " + Certificates.sha256Fingerprint(ca) + "\n", stdout());
    }

    @Test
    void issueReplacesCredentialsOnlyWithForce() throws Exception {
        createCa();
        Path node = tmp.resolve("node");
        assertEquals(0, run("issue", "--ca", caDirectory.toString(), "--host", "node1", "--out", node.toString()));
        String password = Files.readString(node.resolve(ClusterCredentials.PASSWORD_FILE));

        assertEquals(1, run("issue", "--ca", caDirectory.toString(), "--host", "node1", "--out", node.toString()));
        assertFailure(node + " already holds cluster credentials; add --force to replace them");
        assertEquals(password, Files.readString(node.resolve(ClusterCredentials.PASSWORD_FILE)));

        assertEquals(0, run("issue", "--ca", caDirectory.toString(), "--host", "node1", "--out", node.toString(),
                "--force"), stderr());
        assertNotEquals(password, Files.readString(node.resolve(ClusterCredentials.PASSWORD_FILE)));
    }

    @Test
    void issueWritesNothingWhenItCannot() throws Exception {
        Path node = tmp.resolve("node");
        assertEquals(1, run("issue", "--ca", caDirectory.toString(), "--host", "node1", "--out", node.toString()));
        assertFailure("there is no cluster CA directory " + caDirectory + " (stapfarm-cluster create-ca makes one)");

        createCa();
        assertEquals(1, run("issue", "--ca", caDirectory.toString(), "--host", "node1", "--host", "no such host",
                "--out", node.toString()));
        assertFailure("'no such host' is neither an IP address nor a host name");
        assertFalse(Files.exists(node));

        assertEquals(1, run("issue", "--ca", caDirectory.toString(), "--host", "node1", "--out", caDirectory.toString(),
                "--force"));
        assertFailure(caDirectory + " holds a cluster CA; node credentials need a directory of their own");
        assertEquals(0, run("show", caDirectory.toString()), "the CA is intact");
    }

    @Test
    void showTellsWhetherTwoNodesShareACa() throws Exception {
        X509Certificate ca = createCa();
        Path first = tmp.resolve("first");
        Path second = tmp.resolve("second");
        run("issue", "--ca", caDirectory.toString(), "--host", "node1", "--out", first.toString());
        run("issue", "--ca", caDirectory.toString(), "--host", "node2", "--host", "::1", "--out", second.toString());

        assertEquals(0, run("show", second.toString()), stderr());
        assertTrue(stdout().startsWith("Node:        CN=node2,O=stapfarm node\n"
                + "Names:       DNS:node2, IP:0:0:0:0:0:0:0:1\n"), stdout());
        String fingerprintLine = "CA SHA-256:  " + Certificates.sha256Fingerprint(ca) + "\n";
        assertTrue(stdout().endsWith(fingerprintLine), stdout());
        assertEquals(0, run("show", first.toString()), stderr());
        assertTrue(stdout().endsWith(fingerprintLine), stdout());

        assertEquals(0, run("show", caDirectory.toString()), stderr());
        assertTrue(stdout().startsWith("CA:          CN=lab,O=stapfarm cluster CA\n" + fingerprintLine), stdout());
    }

    @Test
    void showNamesWhatIsWrong() throws Exception {
        assertEquals(1, run("show"));
        assertFailure(systemtap.resolve("stapfarm/cluster") + " holds no cluster credentials (stapfarm-cluster issue"
                + " writes them)");

        createCa();
        Path node = tmp.resolve("node");
        run("issue", "--ca", caDirectory.toString(), "--host", "node1", "--out", node.toString());
        Files.delete(node.resolve(ClusterCredentials.TRUST_STORE));
        assertEquals(1, run("show", node.toString()));
        assertTrue(stderr().startsWith("stapfarm-cluster: " + node.toRealPath()
                + " holds incomplete cluster credentials: trust.p12 missing;"), stderr());
    }

    @Test
    void usageErrorsExitWith2() {
        assertEquals(2, run());
        assertEquals("stapfarm-cluster: a command is needed: create-ca, issue or show\n"
                + "Run 'stapfarm-cluster --help' for its usage.\n", stderr());
        assertEquals(2, run("frob"));
        assertEquals(2, run("issue", "--host", "node1"));
        assertTrue(stderr().startsWith("stapfarm-cluster: Missing required option: '--ca=DIR'\n"), stderr());
        assertEquals(2, run("issue", "--ca", caDirectory.toString()));
        assertEquals(2, run("create-ca", "--days", "0", "--dir", caDirectory.toString()));
        assertEquals("stapfarm-cluster: --days must be between 1 and 36500, not 0\n"
                + "Run 'stapfarm-cluster create-ca --help' for its usage.\n", stderr());
        assertEquals(2, run("create-ca", "--days", "many"));
        assertEquals(2, run("create-ca", "--name", " ", "--dir", caDirectory.toString()));
        assertEquals(2, run("show", "a", "b"));
        assertFalse(Files.exists(caDirectory), "usage errors write nothing");
    }

    @Test
    void helpGoesToStandardOutput() {
        assertEquals(0, run("--help"));
        assertTrue(stdout().startsWith("Usage: stapfarm-cluster [-h] (create-ca | issue | show)\n"), stdout());
        assertEquals(0, run("issue", "--help"));
        assertTrue(stdout().contains("chown -R USER:"), stdout());
        assertTrue(stdout().contains("${SYSTEMTAP_DIR:-$HOME/.systemtap}/stapfarm/cluster"), stdout());
        assertEquals("", stderr());
    }
}
