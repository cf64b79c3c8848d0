package org.stapfarm.node;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.stapfarm.node.cluster.ClusterMembership;

class NodeGuardianTest {

    @Test
    void aSettingWithoutAUsableValueIsNamedInsteadOfFailingWithATrace() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> NodeGuardian.start(
                ClusterMembership.environmentOverrides(Map.of("STAPFARM_CLUSTER_PORT", "abc"))
                        .withFallback(ConfigFactory.load())));

        assertTrue(refused.getMessage().startsWith("invalid node configuration: "), refused.getMessage());
        assertTrue(refused.getMessage().contains("STAPFARM_CLUSTER_PORT"), refused.getMessage());
    }
}
