package org.stapfarm.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.stapfarm.config.ConfigFile.Assignment;
import org.stapfarm.config.ConfigFile.ConfigFileException;

/**
 * The global settings of `stap-server` (spec §1.7): where the per-server configuration, the status files and
 * the management log live, and the default server user. Built in layers: defaults, then each global
 * configuration file in turn ({@link #with}).
 *
 * @param configPath `CONFIG_PATH`: the directory of the `*.conf` per-server files
 * @param statPath   `STAT_PATH`: the directory of the status files
 * @param logFile    `LOG_FILE`: the management log, also the default server log
 * @param stapUser   `STAP_USER`: the default server user, or empty when the file layers do not name one
 * @param trustPath  `TRUST_PATH` (stapfarm's): the client certificate database that servers root starts are
 *                   added to, so that every user of the host trusts them; empty: they are not added
 */
public record StapServerSettings(Path configPath, Path statPath, Path logFile, String stapUser,
                                 Optional<Path> trustPath) {

    /** Upstream's database of the servers every user of the host trusts (`--trust-servers=ssl,all-users`). */
    public static final Path ALL_USERS_CLIENT_DATABASE = Path.of("/etc/systemtap/ssl/client");

    private static final List<String> NAMES = List.of("CONFIG_PATH", "STAT_PATH", "LOG_FILE", "STAP_USER",
            "TRUST_PATH");

    /**
     * The locations of a system-wide installation (§1.7), used by root; the trusted servers of all users are
     * those of upstream's `stap --trust-servers=ssl,all-users`.
     */
    public static StapServerSettings system() {
        return new StapServerSettings(Path.of("/etc/stap-server/conf.d"), Path.of("/run/stap-server"),
                Path.of("/var/log/stap-server/log"), "", Optional.of(ALL_USERS_CLIENT_DATABASE));
    }

    /**
     * The locations of a user who cannot use the system ones: all below {@code directory}, normally
     * `${SYSTEMTAP_DIR:-$HOME/.systemtap}/stap-server`.
     */
    public static StapServerSettings perUser(Path directory) {
        return new StapServerSettings(directory.resolve("conf.d"), directory.resolve("run"), directory.resolve("log"),
                "", Optional.empty());
    }

    /**
     * These settings with {@code file}'s assignments laid over them. Every name must be one of the five;
     * paths must not be empty (there is no empty location), while an empty `STAP_USER` means "not set" and
     * an empty `TRUST_PATH` "add nothing".
     */
    public StapServerSettings with(ConfigFile file) throws ConfigFileException {
        file.requireKnown(NAMES, List.of());
        return new StapServerSettings(
                path(file, "CONFIG_PATH").orElse(configPath),
                path(file, "STAT_PATH").orElse(statPath),
                path(file, "LOG_FILE").orElse(logFile),
                file.value("STAP_USER").orElse(stapUser),
                trustPath(file));
    }

    private Optional<Path> trustPath(ConfigFile file) throws ConfigFileException {
        Optional<Assignment> assignment = file.lastAssignment("TRUST_PATH");
        if (assignment.isPresent() && assignment.get().value().isEmpty()) {
            return Optional.empty();
        }
        return path(file, "TRUST_PATH").or(() -> trustPath);
    }

    private static Optional<Path> path(ConfigFile file, String name) throws ConfigFileException {
        Optional<Assignment> assignment = file.lastAssignment(name);
        if (assignment.isEmpty()) {
            return Optional.empty();
        }
        String value = assignment.get().value();
        if (value.isEmpty()) {
            throw file.invalid(assignment.get(), name + " must not be empty");
        }
        try {
            return Optional.of(Path.of(value));
        } catch (InvalidPathException e) {
            throw file.invalid(assignment.get(), name + " is not a usable path: " + e.getReason());
        }
    }
}
