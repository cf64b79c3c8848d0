package org.stapfarm.service;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import org.stapfarm.config.ConfigFile;
import org.stapfarm.config.ConfigFile.ConfigFileException;
import org.stapfarm.service.ScriptOptions.Runtime;

/**
 * The compiled modules of one kernel release, `CACHE_PATH/<release>/` (spec §3.2): `<name>.ko` or `<name>.bo`, and
 * `<name>.opts`, the record of what the module was built from. The record is a `VARIABLE=VALUE` file read with
 * {@link ConfigFile}: the target kernel ({@link KernelIdentity}), the runtime, the compile options and the script's
 * SHA-256. A cache is valid when all of them match (spec §6): a script whose content changed invalidates it, a
 * script that was only touched or copied does not, so a cache made on another host stays usable where the same
 * scripts are installed (spec §3.15).
 */
final class Cache {

    /** What a module was built from. */
    record Entry(KernelIdentity kernel, Runtime runtime, String options, String scriptSha256, String builtOn,
                 String builtWith) {
    }

    private static final String RECORD = "opts";
    private static final List<String> NAMES = List.of("RELEASE", "MACHINE", "VERSION", "RUNTIME", "OPTIONS",
            "SCRIPT_SHA256", "BUILT_ON", "BUILT_WITH");

    private final Path directory;

    Cache(Path directory) {
        this.directory = directory;
    }

    Path directory() {
        return directory;
    }

    Path module(String name, Runtime runtime) {
        return directory.resolve(name + "." + runtime.suffix);
    }

    Path record(String name) {
        return directory.resolve(name + "." + RECORD);
    }

    /** The cache files of {@code name} that exist, module first. */
    List<Path> files(String name) {
        List<Path> files = new ArrayList<>();
        for (Path file : List.of(module(name, Runtime.KERNEL), module(name, Runtime.BPF), record(name))) {
            if (Files.exists(file)) {
                files.add(file);
            }
        }
        return files;
    }

    /** The scripts with a module here, for `ALLOW_CACHEONLY`. */
    SortedSet<String> moduleNames() throws IOException {
        return names(List.of(Runtime.KERNEL.suffix, Runtime.BPF.suffix));
    }

    /** The scripts with any cache file here, for `cleanup`. */
    SortedSet<String> allNames() throws IOException {
        return names(List.of(Runtime.KERNEL.suffix, Runtime.BPF.suffix, RECORD));
    }

    private SortedSet<String> names(List<String> suffixes) throws IOException {
        SortedSet<String> names = new TreeSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                String file = entry.getFileName().toString();
                int dot = file.lastIndexOf('.');
                String name = dot < 0 ? "" : file.substring(0, dot);
                if (ScriptName.isValid(name) && suffixes.contains(file.substring(dot + 1))) {
                    names.add(name);
                }
            }
        } catch (NoSuchFileException e) {
            return names;
        }
        return names;
    }

    /**
     * Why the cached module of {@code name} cannot be used for {@code target} with {@code options}, or empty when it
     * can.
     *
     * @param scriptSha256 the script's current digest; empty for a cache-only script, whose content is unknown
     */
    Optional<String> invalidity(String name, ScriptOptions options, Optional<String> scriptSha256,
                                KernelIdentity target) {
        if (!Files.isRegularFile(module(name, options.runtime()))) {
            return Optional.of("there is no " + module(name, options.runtime()).getFileName());
        }
        Entry entry;
        try {
            entry = read(name);
        } catch (ConfigFileException e) {
            return Optional.of("its record is unusable: " + e.getMessage());
        }
        if (scriptSha256.isPresent() && !scriptSha256.get().equals(entry.scriptSha256())) {
            return Optional.of("the script changed since it was built");
        }
        if (entry.runtime() != options.runtime() || !entry.options().equals(options.recordedCompileOptions())) {
            return Optional.of("the compile options changed from '" + entry.options() + "' ("
                    + entry.runtime().name().toLowerCase() + ") to '" + options.recordedCompileOptions() + "' ("
                    + options.runtime().name().toLowerCase() + ")");
        }
        return entry.kernel().mismatch(target);
    }

    Entry read(String name) throws ConfigFileException {
        ConfigFile file = ConfigFile.parse(record(name));
        file.requireKnown(NAMES, List.of());
        for (String variable : NAMES) {
            if (file.value(variable).isEmpty()) {
                throw new ConfigFileException(file.fileName() + ": " + variable + " is missing");
            }
        }
        Runtime runtime;
        try {
            runtime = Runtime.valueOf(file.value("RUNTIME").get().toUpperCase());
        } catch (IllegalArgumentException e) {
            throw new ConfigFileException(file.fileName() + ": unknown RUNTIME " + file.value("RUNTIME").get());
        }
        return new Entry(new KernelIdentity(file.value("RELEASE").get(), file.value("MACHINE").get(),
                file.value("VERSION").get()), runtime, file.value("OPTIONS").get(), file.value("SCRIPT_SHA256").get(),
                file.value("BUILT_ON").get(), file.value("BUILT_WITH").get());
    }

    /**
     * Moves {@code built} into the cache as {@code name}'s module and records {@code entry}. The old record goes
     * first, so an interrupted store leaves a module without a record, which is invalid, never a record that
     * vouches for the wrong module.
     */
    void store(String name, Path built, Entry entry) throws IOException {
        Files.createDirectories(directory);
        Files.deleteIfExists(record(name));
        for (Runtime runtime : Runtime.values()) {
            if (runtime != entry.runtime()) {
                Files.deleteIfExists(module(name, runtime));
            }
        }
        move(built, module(name, entry.runtime()));
        Path pending = Files.createTempFile(directory, "." + name, ".opts");
        Files.writeString(pending, "# What " + name + "." + entry.runtime().suffix + " was built from, written by the"
                + " systemtap service; read as VARIABLE=VALUE data.\n"
                + line("RELEASE", entry.kernel().release())
                + line("MACHINE", entry.kernel().machine())
                + line("VERSION", entry.kernel().version())
                + line("RUNTIME", entry.runtime().name().toLowerCase())
                + line("OPTIONS", entry.options())
                + line("SCRIPT_SHA256", entry.scriptSha256())
                + line("BUILT_ON", entry.builtOn())
                + line("BUILT_WITH", entry.builtWith()), StandardCharsets.UTF_8);
        move(pending, record(name));
    }

    /** Removes {@code name}'s cache files; the directory too once it is empty. */
    void remove(String name) throws IOException {
        for (Path file : files(name)) {
            Files.deleteIfExists(file);
        }
        try (DirectoryStream<Path> left = Files.newDirectoryStream(directory)) {
            if (!left.iterator().hasNext()) {
                Files.delete(directory);
            }
        } catch (NoSuchFileException e) {
            // Already gone with an earlier script's files.
        }
    }

    /** The hex SHA-256 of a script file. */
    static String sha256(Path script) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(script)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** ConfigFile takes a quoted value literally up to its last quote, so any one-line value survives quoting. */
    private static String line(String name, String value) {
        return name + "='" + value + "'\n";
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
