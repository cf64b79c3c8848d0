package org.stapfarm.service;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.stapfarm.config.ConfigFile;
import org.stapfarm.config.ConfigFile.Assignment;
import org.stapfarm.config.ConfigFile.ConfigFileException;

/**
 * The global parameters of the `systemtap` service (spec §3.3), read from `/etc/systemtap/config` or the `-c`
 * file as data ({@link ConfigFile}), plus stapfarm's own (docs/systemtap-service.md).
 *
 * @param scriptPath      `SCRIPT_PATH`: the scripts, `<name>.stp`
 * @param configPath      `CONFIG_PATH`: the per-script files, `*.conf`
 * @param cachePath       `CACHE_PATH`: the parent of the per-release cache directories
 * @param tempPath        `TEMP_PATH`: where compiles get their working directories
 * @param statPath        `STAT_PATH`: the status files of the running scripts
 * @param logFile         `LOG_FILE`: everything the service and the programs it runs print
 * @param passAll         `PASSALL`: one failing script fails the command at once; otherwise a warning
 * @param recursive       `RECURSIVE`: follow `_REQ` for named scripts too
 * @param autoCompile     `AUTOCOMPILE`: compile when there is no valid cache
 * @param defaultStart    `DEFAULT_START`: what `start` without names starts; empty for all scripts
 * @param allowCacheOnly  `ALLOW_CACHEONLY`: a cached module without a script file counts as a script
 * @param compileServers  `COMPILE_SERVER`: compile servers for releases without a build tree here, as
 *                        `stap-client --server` takes them; empty to use the servers found by discovery
 * @param compileSsl      `COMPILE_SSL`: certificate databases trusted for those servers besides the defaults
 * @param modulesDir      `MODULES_DIR`: where installed kernel build trees are, as `<dir>/<release>/build`
 * @param kernelRelease   `KERNEL_RELEASE`: the kernel `start` loads into; empty for the running one
 * @param stap            `STAP`: the translator for local compiles
 * @param staprun         `STAPRUN`: loads and removes kernel-runtime modules
 * @param stapbpf         `STAPBPF`: runs BPF-runtime modules
 * @param lsmod           `LSMOD`: lists the loaded kernel modules
 */
record ServiceSettings(
        Path scriptPath,
        Path configPath,
        Path cachePath,
        Path tempPath,
        Path statPath,
        Path logFile,
        boolean passAll,
        boolean recursive,
        boolean autoCompile,
        List<String> defaultStart,
        boolean allowCacheOnly,
        List<String> compileServers,
        List<String> compileSsl,
        Path modulesDir,
        String kernelRelease,
        String stap,
        String staprun,
        String stapbpf,
        String lsmod) {

    /** Where the global parameters are read from unless `-c` names another file. */
    static final Path DEFAULT_FILE = Path.of("/etc/systemtap/config");

    private static final List<String> SCALARS = List.of("SCRIPT_PATH", "CONFIG_PATH", "CACHE_PATH", "TEMP_PATH",
            "STAT_PATH", "LOG_FILE", "PASSALL", "RECURSIVE", "AUTOCOMPILE", "ALLOW_CACHEONLY", "MODULES_DIR",
            "KERNEL_RELEASE", "STAP", "STAPRUN", "STAPBPF", "LSMOD");
    private static final List<String> LISTS = List.of("DEFAULT_START", "COMPILE_SERVER", "COMPILE_SSL");
    /** Upstream's words for yes and no, in the configuration and at prompts. */
    static final List<String> YES = List.of("y", "Y", "yes", "Yes", "YES", "1");
    static final List<String> NO = List.of("n", "N", "no", "No", "NO", "0");

    ServiceSettings {
        defaultStart = List.copyOf(defaultStart);
        compileServers = List.copyOf(compileServers);
        compileSsl = List.copyOf(compileSsl);
    }

    /** Spec §3.3's defaults, and stapfarm's for its own parameters. */
    static ServiceSettings defaults() {
        return new ServiceSettings(Path.of("/etc/systemtap/script.d"), Path.of("/etc/systemtap/conf.d"),
                Path.of("/var/cache/systemtap"), Path.of("/tmp"), Path.of("/var/run/systemtap"),
                Path.of("/var/log/systemtap.log"), true, false, true, List.of(), false, List.of(), List.of(),
                Path.of("/lib/modules"), "", "stap", "staprun", "stapbpf", "lsmod");
    }

    /**
     * These settings with {@code file} laid over them. Unknown names, `+=` on a single value, booleans other than
     * upstream's yes and no words, empty paths or programs and invalid script names are errors: a mistake is
     * never read as a default (spec §5.6 item 57).
     */
    ServiceSettings with(ConfigFile file) throws ConfigFileException {
        file.requireKnown(SCALARS, LISTS);
        return new ServiceSettings(
                path(file, "SCRIPT_PATH", scriptPath),
                path(file, "CONFIG_PATH", configPath),
                path(file, "CACHE_PATH", cachePath),
                path(file, "TEMP_PATH", tempPath),
                path(file, "STAT_PATH", statPath),
                path(file, "LOG_FILE", logFile),
                bool(file, "PASSALL", passAll),
                bool(file, "RECURSIVE", recursive),
                bool(file, "AUTOCOMPILE", autoCompile),
                scriptNames(file, "DEFAULT_START", defaultStart),
                bool(file, "ALLOW_CACHEONLY", allowCacheOnly),
                words(file, "COMPILE_SERVER", compileServers),
                words(file, "COMPILE_SSL", compileSsl),
                path(file, "MODULES_DIR", modulesDir),
                file.value("KERNEL_RELEASE").orElse(kernelRelease),
                program(file, "STAP", stap),
                program(file, "STAPRUN", staprun),
                program(file, "STAPBPF", stapbpf),
                program(file, "LSMOD", lsmod));
    }

    private static Path path(ConfigFile file, String name, Path current) throws ConfigFileException {
        Optional<Assignment> assignment = file.lastAssignment(name);
        if (assignment.isEmpty()) {
            return current;
        }
        String value = assignment.get().value();
        if (value.isEmpty()) {
            throw file.invalid(assignment.get(), name + " must not be empty");
        }
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw file.invalid(assignment.get(), name + " is not a usable path: " + e.getReason());
        }
    }

    private static String program(ConfigFile file, String name, String current) throws ConfigFileException {
        Optional<Assignment> assignment = file.lastAssignment(name);
        if (assignment.isPresent() && assignment.get().value().isEmpty()) {
            throw file.invalid(assignment.get(), name + " must name a program");
        }
        return assignment.map(Assignment::value).orElse(current);
    }

    private static boolean bool(ConfigFile file, String name, boolean current) throws ConfigFileException {
        Optional<Assignment> assignment = file.lastAssignment(name);
        if (assignment.isEmpty()) {
            return current;
        }
        String value = assignment.get().value();
        if (YES.contains(value)) {
            return true;
        }
        if (NO.contains(value)) {
            return false;
        }
        throw file.invalid(assignment.get(), name + " must be yes or no (" + String.join(", ", YES) + " or "
                + String.join(", ", NO) + "), not '" + value + "'");
    }

    /** A list parameter: every element of the file's list, each split into words. */
    private static List<String> words(ConfigFile file, String name, List<String> current) throws ConfigFileException {
        if (file.lastAssignment(name).isEmpty()) {
            return current;
        }
        List<String> words = new ArrayList<>();
        for (String element : file.list(name)) {
            try {
                words.addAll(Words.split(element));
            } catch (IllegalArgumentException e) {
                throw file.invalid(file.lastAssignment(name).get(), name + ": " + e.getMessage());
            }
        }
        return words;
    }

    private static List<String> scriptNames(ConfigFile file, String name, List<String> current)
            throws ConfigFileException {
        List<String> names = words(file, name, current);
        for (String script : names) {
            if (!ScriptName.isValid(script)) {
                throw file.invalid(file.lastAssignment(name).get(), name + ": " + ScriptName.invalid(script));
            }
        }
        return names;
    }
}
