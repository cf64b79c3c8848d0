package org.stapfarm.cli.server;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.stapfarm.config.ConfigFile;
import org.stapfarm.config.ConfigFile.ConfigFileException;
import org.stapfarm.config.ServerFile;
import org.stapfarm.config.ServerSpec;

/**
 * The status directory (`STAT_PATH`): one `<id>.stat` per server started through `stap-server`, written by the
 * invoking command (spec §1.9, §5 items 25, 26 and 39). Only names of that form count; everything else in
 * the directory (the lock, temporary files, a stray README) is not a server.
 */
final class Registry {

    /** A recorded server; its {@code spec} has a nickname only if one was given. */
    record Entry(long id, ServerSpec spec, Path file) {

        /** The spec as upstream shows a running server: the nickname defaults to the id (§1.9). */
        ServerSpec shown() {
            return spec.nickname().isEmpty() ? spec.withNickname(Long.toString(id)) : spec;
        }
    }

    private static final Pattern STATUS_NAME = Pattern.compile("([0-9]{1,18})\\.stat");
    private static final String LOCK_NAME = ".lock";
    /** As upstream's files: `status` works for anyone who can list the directory. */
    private static final FileAttribute<Set<PosixFilePermission>> READABLE_BY_ALL =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--"));

    private final Path directory;

    Registry(Path directory) {
        this.directory = directory;
    }

    Path directory() {
        return directory;
    }

    /** Every recorded server, by id; none when the directory does not exist. */
    List<Entry> entries() throws ConfigFileException {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path file : files) {
                Matcher name = STATUS_NAME.matcher(file.getFileName().toString());
                if (name.matches() && Files.isRegularFile(file)) {
                    entries.add(new Entry(Long.parseLong(name.group(1)),
                            ServerFile.readStatus(ConfigFile.parse(file)), file));
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new ConfigFileException(directory + ": cannot list the status directory: " + IoErrors.describe(e));
        }
        entries.sort(Comparator.comparingLong(Entry::id));
        return entries;
    }

    /**
     * Creates the directory if needed and takes the lock that every changing action holds from reading the
     * registry to writing it, so that two commands never start the same server twice. Closing releases it.
     */
    Closeable lock() throws IOException {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new IOException("Failed to make stat directory (" + directory + "): " + IoErrors.describe(e), e);
        }
        Path lockFile = directory.resolve(LOCK_NAME);
        try {
            FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                channel.lock();
                return channel;
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        } catch (IOException e) {
            throw new IOException("cannot lock " + lockFile + ": " + IoErrors.describe(e), e);
        }
    }

    /** Records {@code spec} as server {@code id}, replacing the file in one step so no reader sees half of it. */
    void write(long id, ServerSpec spec) throws IOException {
        Path temporary = Files.createTempFile(directory, "." + id + ".stat.", ".tmp", READABLE_BY_ALL);
        try {
            Files.writeString(temporary, ServerFile.formatStatus(spec));
            try {
                Files.move(temporary, statusFile(id), StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, statusFile(id), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    void remove(Entry entry) throws IOException {
        Files.deleteIfExists(entry.file());
    }

    private Path statusFile(long id) {
        return directory.resolve(id + ".stat");
    }
}
