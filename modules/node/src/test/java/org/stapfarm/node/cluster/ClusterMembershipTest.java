package org.stapfarm.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.node.NodeSettings;
import org.stapfarm.node.routing.Payload;
import org.stapfarm.security.ClusterAuthority;
import org.stapfarm.security.ClusterCredentials;

class ClusterMembershipTest {

    private static final Payload.Limits TRANSFER = new Payload.Limits(1 << 20, Duration.ofMinutes(1));

    @TempDir
    Path systemtap;

    @Test
    void aNodeAloneGetsPrivateCredentialsAndStillSpeaksOnlyTls() throws Exception {
        // Left by a node process that is gone: pids stay below 2^22.
        Path stale = Files.createDirectories(systemtap.resolve("stapfarm/node/private-cluster/999999999"));
        Files.writeString(stale.resolve("password"), "old");

        Config pekko = ClusterMembership.pekkoSettings(cluster(List.of(), Optional.empty()), systemtap);

        assertEquals("tls-tcp", pekko.getString("pekko.remote.artery.transport"));
        assertEquals(List.of(), pekko.getStringList("pekko.cluster.seed-nodes"));
        Path keyStore = Path.of(pekko.getString("pekko.remote.artery.ssl.config-ssl-engine.key-store"));
        assertTrue(keyStore.startsWith(systemtap.resolve("stapfarm/node")), keyStore.toString());
        assertTrue(Files.isRegularFile(keyStore));
        assertTrue(pekko.getBoolean("pekko.remote.artery.ssl.config-ssl-engine.require-mutual-authentication"));
        assertFalse(Files.exists(systemtap.resolve("stapfarm/cluster")), "the farm's directory stays untouched");
        assertFalse(Files.exists(stale), "what a dead node left is removed");
    }

    @Test
    void aNodeToJoinAFarmUsesTheIssuedCredentialsAndNamesItsSeedsAsPekkoAddresses() throws Exception {
        Path issued = systemtap.resolve("stapfarm/cluster");
        ClusterAuthority authority = ClusterAuthority.create("test", Duration.ofDays(1), Instant.now());
        ClusterCredentials.write(issued, authority.issue(List.of("10.0.0.1"), Duration.ofDays(1), Instant.now()));

        Config pekko = ClusterMembership.pekkoSettings(cluster(List.of("10.0.0.2:25520", "[fd00::3]:25520"),
                Optional.empty()), systemtap);

        assertEquals(List.of("pekko://stapfarm@10.0.0.2:25520", "pekko://stapfarm@[fd00::3]:25520"),
                pekko.getStringList("pekko.cluster.seed-nodes"));
        assertEquals(issued.resolve(ClusterCredentials.KEY_STORE).toString(),
                pekko.getString("pekko.remote.artery.ssl.config-ssl-engine.key-store"));
        assertEquals("10.0.0.1", pekko.getString("pekko.remote.artery.canonical.hostname"));
        assertEquals(25520, pekko.getInt("pekko.remote.artery.canonical.port"));
    }

    @Test
    void aNodeWithSeedsButNoCertificateRefusesToStartAndSaysWhatToRun() {
        ClusterMembership.ClusterSetupException refused = assertThrows(ClusterMembership.ClusterSetupException.class,
                () -> ClusterMembership.pekkoSettings(cluster(List.of("10.0.0.2:25520"), Optional.empty()), systemtap));

        assertTrue(refused.getMessage().contains("has no cluster certificate in "
                        + systemtap.resolve("stapfarm/cluster")),
                refused.getMessage());
        assertTrue(refused.getMessage().contains("stapfarm-cluster issue"), refused.getMessage());
    }

    @Test
    void aSeedThatIsNotHostAndPortIsRefused() throws Exception {
        ClusterAuthority authority = ClusterAuthority.create("test", Duration.ofDays(1), Instant.now());
        Path issued = systemtap.resolve("issued");
        ClusterCredentials.write(issued, authority.issue(List.of("10.0.0.1"), Duration.ofDays(1), Instant.now()));

        ClusterMembership.ClusterSetupException refused = assertThrows(ClusterMembership.ClusterSetupException.class,
                () -> ClusterMembership.pekkoSettings(cluster(List.of("10.0.0.2"), Optional.of(issued)), systemtap));
        assertEquals("the seed node '10.0.0.2' is not of the form host:port", refused.getMessage());
    }

    private static NodeSettings.Cluster cluster(List<String> seeds, Optional<Path> credentials) {
        return new NodeSettings.Cluster(seeds.isEmpty() ? "127.0.0.1" : "10.0.0.1", seeds.isEmpty() ? 0 : 25520, seeds,
                credentials, TRANSFER);
    }

    @Test
    void theEnvironmentOverridesTheConfigurationFiles() {
        Config site = ConfigFactory.parseString("""
                stapfarm.cluster { host = "from-file", port = 1, seed-nodes = ["file:1"] }
                """).withFallback(ConfigFactory.defaultReference());

        NodeSettings.Cluster cluster = NodeSettings.from(ClusterMembership.environmentOverrides(Map.of(
                "STAPFARM_CLUSTER_HOST", "10.0.0.9", "STAPFARM_CLUSTER_PORT", "25520",
                "STAPFARM_CLUSTER_SEEDS", "10.0.0.1:25520,10.0.0.2:25520", "HOME", "/elsewhere"))
                .withFallback(site).resolve()).cluster();

        assertEquals("10.0.0.9", cluster.host());
        assertEquals(25520, cluster.port());
        assertEquals(List.of("10.0.0.1:25520", "10.0.0.2:25520"), cluster.seedNodes());
        assertEquals(Optional.empty(), cluster.credentialsDirectory());
    }
}
