package org.stapfarm.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * `bin/stapfarm-cluster` as an operator runs it (docs/cluster.md): a CA, two nodes' credentials, and OpenSSL's
 * judgement of what it wrote: a node certificate verifies against its CA, for both ends of TLS, and not
 * against another CA.
 */
class ClusterCertificatesIT {

    private static final Duration TIMEOUT = Duration.ofMinutes(1);

    private static Commands.Result cluster(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Workspace.INSTANCE.bin("stapfarm-cluster").toString()));
        command.addAll(List.of(arguments));
        return Commands.asTestUser(command, Map.of(), TIMEOUT);
    }

    private static Commands.Result openssl(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        return Commands.run(command, TIMEOUT);
    }

    /** The line of `show` (and of `issue` and `create-ca`) that identifies the CA. */
    private static String caFingerprintLine(String output) {
        return output.lines().filter(line -> line.startsWith("CA SHA-256:")).findFirst().orElseThrow(
                () -> new AssertionError("no CA SHA-256 line in: " + output));
    }

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
    }

    /** The node certificate alone, as PEM, taken out of node.p12 with the password beside it. */
    private static Path nodeCertificate(Path node) throws IOException, InterruptedException {
        Path pem = node.resolveSibling(node.getFileName() + ".pem");
        Commands.Result extract = openssl("pkcs12", "-in", node.resolve("node.p12").toString(), "-passin",
                "file:" + node.resolve("password"), "-nokeys", "-clcerts", "-out", pem.toString());
        assertEquals(0, extract.exitCode(), extract.stderr());
        return pem;
    }

    @Test
    void nodeCertificatesVerifyAgainstTheirCaOnly() throws Exception {
        Path directory = TestUser.INSTANCE.newDirectory(Workspace.INSTANCE.root, "cluster-");
        Path ca = directory.resolve("ca");
        Path other = directory.resolve("other-ca");
        Path first = directory.resolve("node1");
        Path second = directory.resolve("node2");

        Commands.Result created = cluster("create-ca", "--dir", ca.toString(), "--name", "it-lab");
        assertEquals(0, created.exitCode(), created.stderr());
        assertTrue(created.stdout().startsWith("Created the cluster CA in " + ca + "\n"), created.stdout());
        assertEquals(0, cluster("create-ca", "--dir", other.toString()).exitCode());
        Commands.Result again = cluster("create-ca", "--dir", ca.toString());
        assertEquals(1, again.exitCode());
        assertTrue(again.stderr().startsWith("stapfarm-cluster: ") && again.stderr().endsWith("no longer be trusted\n"),
                again.stderr());

        Commands.Result issued = cluster("issue", "--ca", ca.toString(), "--host", "node1.example", "--host",
                "127.0.0.1", "--out", first.toString());
        assertEquals(0, issued.exitCode(), issued.stderr());
        assertTrue(issued.stdout().contains("Names:       DNS:node1.example, IP:127.0.0.1\n"), issued.stdout());
        assertEquals(0, cluster("issue", "--ca", ca.toString(), "--host", "node2.example", "--out", second.toString())
                .exitCode());
        assertEquals(1, cluster("issue", "--ca", ca.toString(), "--host", "node2.example", "--out", second.toString())
                .exitCode(), "an existing set is replaced only with --force");

        assertEquals("rwx------", mode(first));
        for (String file : List.of("node.p12", "trust.p12", "password")) {
            assertEquals("rw-------", mode(first.resolve(file)), file);
            assertEquals(TestUser.INSTANCE.name, Files.getOwner(first.resolve(file)).getName(), file);
        }

        Commands.Result showFirst = cluster("show", first.toString());
        Commands.Result showSecond = cluster("show", second.toString());
        Commands.Result showCa = cluster("show", ca.toString());
        Commands.Result showOther = cluster("show", other.toString());
        for (Commands.Result show : List.of(showFirst, showSecond, showCa, showOther)) {
            assertEquals(0, show.exitCode(), show.stderr());
        }
        assertTrue(showFirst.stdout().startsWith("Node:        CN=node1.example,O=stapfarm node\n"),
                showFirst.stdout());
        assertEquals(caFingerprintLine(showCa.stdout()), caFingerprintLine(showFirst.stdout()));
        assertEquals(caFingerprintLine(showCa.stdout()), caFingerprintLine(showSecond.stdout()));
        assertNotEquals(caFingerprintLine(showOther.stdout()), caFingerprintLine(showFirst.stdout()));
        Commands.Result opensslFingerprint = openssl("x509", "-in", ca.resolve("ca.crt").toString(), "-noout",
                "-fingerprint", "-sha256");
        assertEquals(opensslFingerprint.stdout().strip().replace("sha256 Fingerprint=", "").toLowerCase(),
                caFingerprintLine(showCa.stdout()).replace("CA SHA-256:", "").strip());

        for (Path node : List.of(first, second)) {
            Path certificate = nodeCertificate(node);
            for (String purpose : List.of("sslserver", "sslclient")) {
                Commands.Result verified = openssl("verify", "-CAfile", ca.resolve("ca.crt").toString(), "-purpose",
                        purpose, certificate.toString());
                assertEquals(0, verified.exitCode(), verified.stdout() + verified.stderr());
                assertEquals(certificate + ": OK\n", verified.stdout());
            }
            Commands.Result foreign = openssl("verify", "-CAfile", other.resolve("ca.crt").toString(),
                    certificate.toString());
            assertNotEquals(0, foreign.exitCode(), foreign.stdout());
            assertTrue(foreign.stderr().contains("unable to get local issuer certificate"), foreign.stderr());
        }
    }
}
