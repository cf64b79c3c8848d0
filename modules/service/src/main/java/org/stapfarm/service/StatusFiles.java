package org.stapfarm.service;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import org.stapfarm.config.ConfigFile;
import org.stapfarm.config.ConfigFile.ConfigFileException;
import org.stapfarm.service.ScriptOptions.Runtime;

/**
 * `STAT_PATH`: one file per script the service started, named after the script (spec §3.2, §3.8). Upstream kept
 * only the pid there; this file also says which runtime and which module file, so that stopping and the
 * running-state check act on exactly what this service started (spec §5.6 item 62) even after the configuration
 * changed. It is a `VARIABLE=VALUE` file: `PID` (0 for a module `staprun -L` left loaded), `RUNTIME`, `MODULE`.
 * Only valid script names count; anything else in the directory (the lock, a stray file) is not a script.
 */
final class StatusFiles {

    /** A started script. */
    record Status(String name, long pid, Runtime runtime, Path module) {
    }

    private static final String LOCK = ".lock";
    private static final List<String> NAMES = List.of("PID", "RUNTIME", "MODULE");

    private final Path directory;

    StatusFiles(Path directory) {
        this.directory = directory;
    }

    SortedSet<String> names() throws IOException {
        SortedSet<String> names = new TreeSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (ScriptName.isValid(name) && Files.isRegularFile(entry)) {
                    names.add(name);
                }
            }
        } catch (NoSuchFileException e) {
            return names;
        }
        return names;
    }

    boolean exists(String name) {
        return Files.isRegularFile(directory.resolve(name));
    }

    /** The status, or empty when the file is unreadable or not one of ours (e.g. upstream's bare pid): stale. */
    Optional<Status> read(String name) {
        try {
            ConfigFile file = ConfigFile.parse(directory.resolve(name));
            file.requireKnown(NAMES, List.of());
            return Optional.of(new Status(name, Long.parseLong(file.value("PID").orElse("")),
                    Runtime.valueOf(file.value("RUNTIME").orElse("").toUpperCase()),
                    Path.of(file.value("MODULE").orElse(""))));
        } catch (ConfigFileException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    void write(Status status) throws IOException {
        Files.createDirectories(directory);
        Path pending = Files.createTempFile(directory, "." + status.name(), ".tmp");
        Files.writeString(pending, "PID=" + status.pid() + "\nRUNTIME=" + status.runtime().name().toLowerCase()
                + "\nMODULE='" + status.module() + "'\n", StandardCharsets.UTF_8);
        try {
            Files.move(pending, directory.resolve(status.name()), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(pending, directory.resolve(status.name()), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    void delete(String name) throws IOException {
        Files.deleteIfExists(directory.resolve(name));
    }

    /**
     * Creates the directory and takes the service's lock, held until the returned channel is closed: two commands
     * that change state (a boot-time start and an administrator's stop, say) run one after the other.
     */
    FileChannel lock() throws IOException {
        Files.createDirectories(directory);
        FileChannel channel = FileChannel.open(directory.resolve(LOCK), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        try {
            channel.lock();
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }
}
