package org.stapfarm.node;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.stapfarm.discovery.DiscoverySettings;

/** The node's typed view of the `stapfarm` block of its configuration, read once at start-up. */
public record NodeSettings(
        Path translator,
        Path temporaryDirectory,
        Listener listener,
        Workers workers,
        TranslatorLimits translatorLimits,
        Duration shutdownDrainTimeout,
        Duration idleTimeout,
        Identity identity,
        DiscoverySettings discovery) {

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
                DiscoverySettings.from(config));
    }
}
