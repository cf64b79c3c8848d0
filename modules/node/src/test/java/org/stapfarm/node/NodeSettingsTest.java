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
}
