package org.stapfarm.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NodeSettingsTest {

    @Test
    void eachServerUserHasItsOwnIdentityByDefault() {
        NodeSettings settings = NodeSettings.from(ConfigFactory.defaultReference());
        assertEquals(new NodeSettings.Identity(Optional.empty(), List.of()), settings.identity());
    }

    @Test
    void aFarmIdentityIsOneDirectoryForEveryServer() {
        NodeSettings settings = NodeSettings.from(ConfigFactory.parseString("""
                stapfarm.identity.directory = "/srv/stapfarm/identity"
                stapfarm.identity.extra-dns-names = ["build.lab.example"]
                """).withFallback(ConfigFactory.defaultReference()));
        assertEquals(new NodeSettings.Identity(Optional.of(Path.of("/srv/stapfarm/identity")),
                List.of("build.lab.example")), settings.identity());
    }

    @Test
    void aNodeWithoutSeedNodesIsAClusterOfOne() {
        NodeSettings.Cluster cluster = NodeSettings.from(ConfigFactory.defaultReference()).cluster();
        assertEquals(List.of(), cluster.seedNodes());
        assertEquals("127.0.0.1", cluster.host());
        assertEquals(0, cluster.port());
    }

    @Test
    void seedNodesAreAListInTheConfigurationOrCommaSeparatedInTheEnvironment() {
        assertEquals(List.of("a.lab:25520", "b.lab:25520"), NodeSettings.from(ConfigFactory.parseString("""
                stapfarm.cluster.seed-nodes = ["a.lab:25520", "b.lab:25520"]
                """).withFallback(ConfigFactory.defaultReference())).cluster().seedNodes());
        // What `seed-nodes = ${?STAPFARM_CLUSTER_SEEDS}` gives when the variable is set.
        assertEquals(List.of("a.lab:25520", "b.lab:25520"), NodeSettings.from(ConfigFactory.parseString("""
                stapfarm.cluster.seed-nodes = "a.lab:25520, b.lab:25520"
                """).withFallback(ConfigFactory.defaultReference())).cluster().seedNodes());
    }
}
