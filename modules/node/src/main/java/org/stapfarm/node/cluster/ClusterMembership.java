package org.stapfarm.node.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.stapfarm.node.NodeSettings;
import org.stapfarm.security.ClusterCredentials;
import org.stapfarm.security.ClusterCredentialsException;

/**
 * How this node takes part in the cluster, as Pekko settings: its address, the seed nodes it joins
 * through, and Artery over TLS with mutual authentication, so that only nodes holding a certificate of the
 * farm's cluster CA can join. A node alone gets private credentials from a CA of its own whose key is never
 * stored: nothing else on the host can join it either.
 */
public final class ClusterMembership {

    /** The actor system's name; it is part of every node address. */
    public static final String SYSTEM_NAME = "stapfarm";

    private ClusterMembership() {
    }

    /** Thrown when the node cannot take part in the cluster as configured; the message says why and what to do. */
    public static final class ClusterSetupException extends Exception {
        ClusterSetupException(String message) {
            super(message);
        }
    }

    /**
     * The cluster settings the environment gives (`STAPFARM_CLUSTER_HOST`, `_PORT`, `_SEEDS`, `_CREDENTIALS`),
     * to be laid over the configuration files: an operator starting one node differently need not edit them.
     */
    public static Config environmentOverrides(Map<String, String> environment) {
        Config overrides = ConfigFactory.empty();
        for (Map.Entry<String, String> variable : Map.of("STAPFARM_CLUSTER_HOST", "host", "STAPFARM_CLUSTER_PORT",
                "port", "STAPFARM_CLUSTER_SEEDS", "seed-nodes", "STAPFARM_CLUSTER_CREDENTIALS",
                "credentials-directory").entrySet()) {
            String value = environment.get(variable.getKey());
            if (value != null) {
                // Each its own origin, so that a bad value is reported by the variable's name.
                overrides = overrides.withFallback(ConfigFactory.parseMap(
                        Map.of("stapfarm.cluster." + variable.getValue(), value),
                        "environment variable " + variable.getKey()));
            }
        }
        return overrides;
    }

    /**
     * @param systemtapDirectory the node user's SystemTap directory, holding the default credentials
     *                           directory and the node's private ones
     */
    public static Config pekkoSettings(NodeSettings.Cluster cluster, Path systemtapDirectory)
            throws ClusterSetupException {
        Path directory = cluster.credentialsDirectory()
                .orElse(systemtapDirectory.resolve("stapfarm").resolve("cluster"));
        ClusterCredentials credentials = credentials(cluster, directory,
                systemtapDirectory.resolve("stapfarm").resolve("node").resolve("private-cluster"));
        Map<String, Object> settings = new HashMap<>();
        settings.put("pekko.remote.artery.canonical.hostname", cluster.host());
        settings.put("pekko.remote.artery.canonical.port", cluster.port());
        List<String> seeds = new ArrayList<>();
        for (String seed : cluster.seedNodes()) {
            seeds.add(address(seed));
        }
        settings.put("pekko.cluster.seed-nodes", seeds);
        settings.put("pekko.remote.artery.transport", "tls-tcp");
        String ssl = "pekko.remote.artery.ssl.config-ssl-engine.";
        settings.put(ssl + "key-store", credentials.keyStore().toString());
        settings.put(ssl + "trust-store", credentials.trustStore().toString());
        settings.put(ssl + "key-store-password", credentials.password());
        settings.put(ssl + "key-password", credentials.password());
        settings.put(ssl + "trust-store-password", credentials.password());
        settings.put(ssl + "require-mutual-authentication", "on");
        settings.put(ssl + "hostname-verification", "on");
        return ConfigFactory.parseMap(settings, "stapfarm.cluster");
    }

    private static ClusterCredentials credentials(NodeSettings.Cluster cluster, Path directory, Path privateDirectory)
            throws ClusterSetupException {
        Optional<ClusterCredentials> issued;
        try {
            issued = ClusterCredentials.find(directory);
        } catch (IOException | ClusterCredentialsException e) {
            throw new ClusterSetupException("cannot use the cluster credentials in " + directory + ": "
                    + e.getMessage());
        }
        if (issued.isPresent()) {
            return issued.get();
        }
        if (!cluster.seedNodes().isEmpty()) {
            throw new ClusterSetupException("this node is to join the cluster through "
                    + String.join(", ", cluster.seedNodes()) + " but has no cluster certificate in " + directory
                    + "; issue one with 'stapfarm-cluster issue --ca CA-DIRECTORY --host " + cluster.host()
                    + " --out " + directory + "' (see docs/cluster.md)");
        }
        try {
            return ClusterCredentials.createPrivate(ownPrivateDirectory(privateDirectory), List.of(cluster.host()));
        } catch (IOException e) {
            throw new ClusterSetupException("cannot create this node's private cluster credentials in "
                    + privateDirectory + ": " + e.getMessage());
        }
    }

    /**
     * One directory per node process: `stap-serverd` daemons of one user may start side by side, and none
     * may read another's half-written set. Those of processes that no longer run are removed.
     */
    private static Path ownPrivateDirectory(Path privateDirectories) throws IOException {
        if (Files.isDirectory(privateDirectories)) {
            try (Stream<Path> existing = Files.list(privateDirectories)) {
                for (Path directory : existing.toList()) {
                    String name = directory.getFileName().toString();
                    boolean alive = name.chars().allMatch(Character::isDigit)
                            && ProcessHandle.of(Long.parseLong(name)).isPresent();
                    if (!alive) {
                        deleteTree(directory);
                    }
                }
            }
        }
        return privateDirectories.resolve(Long.toString(ProcessHandle.current().pid()));
    }

    private static void deleteTree(Path directory) throws IOException {
        try (Stream<Path> tree = Files.walk(directory)) {
            for (Path path : tree.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** A seed given as "host:port" (IPv6 literals in brackets), as Pekko names a node. */
    static String address(String seed) throws ClusterSetupException {
        if (seed.startsWith("pekko://")) {
            return seed;
        }
        int colon = seed.lastIndexOf(':');
        boolean hasPort = colon > 0 && colon < seed.length() - 1
                && seed.substring(colon + 1).chars().allMatch(Character::isDigit);
        if (!hasPort) {
            throw new ClusterSetupException("the seed node '" + seed + "' is not of the form host:port");
        }
        return "pekko://" + SYSTEM_NAME + "@" + seed;
    }
}
