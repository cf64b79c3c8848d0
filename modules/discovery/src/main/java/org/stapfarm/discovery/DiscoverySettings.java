package org.stapfarm.discovery;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;

/**
 * The `stapfarm.discovery` block of the configuration (defaults and their meaning in this module's
 * reference.conf), shared by the node and the commands.
 *
 * @param enabled    whether servers are advertised and browsed for at all
 * @param interfaces interface names; empty means every usable non-loopback interface
 * @param browseTime how long a browse listens for answers
 */
public record DiscoverySettings(boolean enabled, List<String> interfaces, Duration browseTime) {

    public DiscoverySettings {
        interfaces = List.copyOf(interfaces);
        if (browseTime.isNegative() || browseTime.isZero()) {
            throw new IllegalArgumentException("stapfarm.discovery.browse-time must be positive");
        }
    }

    public static DiscoverySettings from(Config config) {
        Config discovery = config.getConfig("stapfarm.discovery");
        return new DiscoverySettings(discovery.getBoolean("enabled"), discovery.getStringList("interfaces"),
                discovery.getDuration("browse-time"));
    }
}
