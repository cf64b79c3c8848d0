package org.stapfarm.cli.trust;

import java.nio.file.Path;
import java.util.Map;
import org.stapfarm.config.StapServerSettings;
import org.stapfarm.management.NodeEndpoint;

/** Where the stock client and `staprun` look for trusted certificates (management-tools section 2.9). */
public final class TrustLocations {

    /** Servers trusted by every user of the host; written by root. */
    public static final Path GLOBAL_CLIENT = StapServerSettings.ALL_USERS_CLIENT_DATABASE;
    /** Servers whose module signatures `staprun` accepts from unprivileged users. */
    public static final Path SIGNERS = Path.of("/etc/systemtap/staprun");

    private TrustLocations() {
    }

    /** The servers the user trusts: `$SYSTEMTAP_DIR/ssl/client`, by default `~/.systemtap/ssl/client`. */
    public static Path userClient(Map<String, String> environment) {
        return NodeEndpoint.systemtapDirectory(environment).resolve("ssl").resolve("client");
    }

    /** Whether {@code directory} is one of the databases every user of the host reads. */
    public static boolean isShared(Path directory) {
        Path normalized = directory.toAbsolutePath().normalize();
        return normalized.equals(GLOBAL_CLIENT) || normalized.equals(SIGNERS);
    }
}
