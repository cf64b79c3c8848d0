package org.stapfarm.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.stapfarm.discovery.DiscoverySettings;
import org.stapfarm.management.NodeEndpoint;
import org.stapfarm.node.routing.Payload;

/** The node's typed view of the `stapfarm` block of its configuration, read once at start-up. */
/**
 * @param systemtapDirectory the node user's SystemTap directory (`SYSTEMTAP_DIR`, else `~/.systemtap`): server
 *                           keys, the user's client trust database, cluster credentials
 */
public record NodeSettings(
        Path translator,
        Path temporaryDirectory,
        Listener listener,
        Workers workers,
        TranslatorLimits translatorLimits,
        Duration shutdownDrainTimeout,
        Duration idleTimeout,
        Identity identity,
        DiscoverySettings discovery,
        Cluster cluster,
        Path systemtapDirectory) {

    public record Listener(Duration handshakeTimeout, Duration requestTimeout, Duration responseTimeout,
                           int maxConnections, int backlog) {
    }

    public record Workers(int queueCapacity, Duration replyTimeout, long resultCacheSize, long maxResultSize) {
    }

    /**
     * Where servers keep their certificate, key and machine owner keys when they are started without `--ssl`.
     *
     * @param directory     one directory for every server of the node, such as the farm's shared identity;
     *                      empty: each server user's `~/.systemtap/ssl/server`, as upstream
     * @param extraDnsNames names added to new certificates after the host's own, e.g. the farm's alias
     */
    public record Identity(Optional<Path> directory, List<String> extraDnsNames) {
        public Identity {
            extraDnsNames = List.copyOf(extraDnsNames);
        }
    }

    /**
     * @param seedNodes            "host:port" of the nodes to join through; empty for a cluster of one
     * @param credentialsDirectory empty: the default under the node user's SystemTap directory
     */
    public record Cluster(String host, int port, List<String> seedNodes, Optional<Path> credentialsDirectory,
                          Payload.Limits transfer) {
        public Cluster {
            seedNodes = List.copyOf(seedNodes);
        }
    }

    public record TranslatorLimits(Duration wallClock, Duration cpu, long fileSize, long addressSpace, int processes) {
    }

    public static NodeSettings from(Config config) {
        Config stapfarm = config.getConfig("stapfarm");
        Config listener = stapfarm.getConfig("listener");
        Config workers = stapfarm.getConfig("workers");
        Config limits = stapfarm.getConfig("translator-limits");
        Config identity = stapfarm.getConfig("identity");
        return new NodeSettings(
                Path.of(stapfarm.getString("translator")),
                Path.of(stapfarm.getString("temporary-directory")),
                new Listener(
                        listener.getDuration("handshake-timeout"),
                        listener.getDuration("request-timeout"),
                        listener.getDuration("response-timeout"),
                        listener.getInt("max-connections"),
                        listener.getInt("backlog")),
                new Workers(
                        workers.getInt("queue-capacity"),
                        workers.getDuration("reply-timeout"),
                        workers.getBytes("result-cache-size"),
                        workers.getBytes("max-result-size")),
                new TranslatorLimits(
                        limits.getDuration("wall-clock"),
                        limits.getDuration("cpu"),
                        limits.getBytes("file-size"),
                        limits.getBytes("address-space"),
                        limits.getInt("processes")),
                stapfarm.getDuration("shutdown-drain-timeout"),
                stapfarm.getDuration("idle-timeout"),
                new Identity(
                        Optional.of(identity.getString("directory")).filter(path -> !path.isEmpty()).map(Path::of),
                        identity.getStringList("extra-dns-names")),
                DiscoverySettings.from(config),
                cluster(stapfarm.getConfig("cluster")),
                Optional.of(stapfarm.getString("systemtap-directory")).filter(path -> !path.isEmpty()).map(Path::of)
                        .orElseGet(() -> NodeEndpoint.systemtapDirectory(System.getenv())));
    }

    private static Cluster cluster(Config cluster) {
        List<String> seeds = cluster.getValue("seed-nodes").valueType() == ConfigValueType.LIST
                ? cluster.getStringList("seed-nodes")
                : Arrays.stream(cluster.getString("seed-nodes").split("[,\\s]+"))
                        .filter(seed -> !seed.isEmpty())
                        .toList();
        return new Cluster(cluster.getString("host"), cluster.getInt("port"), seeds,
                Optional.of(cluster.getString("credentials-directory")).filter(path -> !path.isEmpty()).map(Path::of),
                new Payload.Limits(cluster.getBytes("max-transfer-size"), cluster.getDuration("transfer-timeout")));
    }
}
