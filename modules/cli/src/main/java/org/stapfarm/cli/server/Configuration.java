package org.stapfarm.cli.server;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.stapfarm.config.ConfigFile;
import org.stapfarm.config.ConfigFile.ConfigFileException;
import org.stapfarm.config.ServerFile;
import org.stapfarm.config.ServerOptionsParser;
import org.stapfarm.config.ServerOptionsParser.InvalidOptionsException;
import org.stapfarm.config.ServerSpec;
import org.stapfarm.config.StapServerSettings;

/**
 * The configuration layers of `stap-server` (spec §6): defaults, the system's global file, the `-c` file, and
 * the per-server files. Every file is read and checked completely before a command acts on any of it.
 */
final class Configuration {

    private Configuration() {
    }

    /**
     * The global settings: {@link Environment#defaultSettings()}, then `/etc/sysconfig/stap-server` if it
     * exists, then {@code configFile}, which must exist since it was named explicitly (§5 item 30).
     */
    static StapServerSettings settings(Environment environment, Optional<Path> configFile)
            throws ConfigFileException {
        StapServerSettings settings = environment.defaultSettings();
        if (Files.exists(environment.systemConfigFile())) {
            settings = settings.with(ConfigFile.parse(environment.systemConfigFile()));
        }
        if (configFile.isPresent()) {
            settings = settings.with(ConfigFile.parse(configFile.get()));
        }
        return settings;
    }

    /**
     * The servers of the regular `*.conf` files in {@code directory}, by file name, as written (not defaulted);
     * none when the directory does not exist. Values the daemon would refuse are refused here, and so is a
     * nickname given twice.
     */
    static List<ServerSpec> servers(Path directory) throws ConfigFileException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, "*.conf")) {
            entries.forEach(entry -> {
                if (Files.isRegularFile(entry)) {
                    files.add(entry);
                }
            });
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new ConfigFileException(directory + ": cannot list the configuration directory: "
                    + IoErrors.describe(e));
        }
        files.sort(null);
        List<ServerSpec> servers = new ArrayList<>();
        Map<String, Path> nicknames = new HashMap<>();
        for (Path file : files) {
            ServerSpec spec = ServerFile.readConfiguration(ConfigFile.parse(file));
            try {
                ServerOptionsParser.parse(spec.daemonArguments());
            } catch (InvalidOptionsException e) {
                throw new ConfigFileException(file + ": " + e.getMessage());
            }
            Path other = spec.nickname().isEmpty() ? null : nicknames.putIfAbsent(spec.nickname(), file);
            if (other != null) {
                throw new ConfigFileException(file + ": NICKNAME " + spec.nickname() + " is already the nickname of "
                        + other + "; nicknames must be unique");
            }
            servers.add(spec);
        }
        return servers;
    }
}
