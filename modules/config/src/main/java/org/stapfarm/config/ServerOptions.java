package org.stapfarm.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What one compile server is configured with: the options of the reference `stap-serverd` command line,
 * shared by `stap-serverd` itself and by the management commands that start servers.
 *
 * @param releases             `-r` values: kernel releases or build-tree paths; empty means the running kernel
 * @param arch                 `-a`: the architecture to build for, or null for the host's
 * @param buildOptions         `-B` options for the kernel build
 * @param defines              `-D NAME=VALUE` macros for the generated C
 * @param includes             `-I` tapset directories on the server
 * @param runtime              `-R` runtime directory, or null
 * @param keepTemporaries      `-k`: keep each request's temporary directory
 * @param usePassword          `-P`: accepted for compatibility; stapfarm keys have no password
 * @param port                 `--port`; 0 lets the kernel choose
 * @param sslDirectory         `--ssl`: the server's certificate directory, or null for the default
 * @param logFile              `--log`, or null to log to standard error
 * @param maxThreads           `--max-threads`: concurrent translator runs
 * @param maxRequestSize       `--max-request-size`: uncompressed bytes
 * @param maxCompressedRequest `--max-compressed-request`: bytes on the wire
 */
public record ServerOptions(
        List<String> releases,
        String arch,
        List<String> buildOptions,
        List<String> defines,
        List<String> includes,
        String runtime,
        boolean keepTemporaries,
        boolean usePassword,
        int port,
        Path sslDirectory,
        Path logFile,
        int maxThreads,
        long maxRequestSize,
        long maxCompressedRequest) {

    public ServerOptions {
        releases = List.copyOf(releases);
        buildOptions = List.copyOf(buildOptions);
        defines = List.copyOf(defines);
        includes = List.copyOf(includes);
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535");
        }
        if (maxThreads < 0) {
            throw new IllegalArgumentException("max-threads must not be negative");
        }
        if (maxRequestSize < 1 || maxCompressedRequest < 1) {
            throw new IllegalArgumentException("request size limits must be at least 1 byte");
        }
    }

    /**
     * The options handed to every translator run before `--client-options`, in the order the reference
     * server uses (`-a`, `-B`, `-D`, `-I`, `-R`).
     */
    public List<String> translatorOptions() {
        List<String> options = new ArrayList<>();
        if (arch != null) {
            options.add("-a" + arch);
        }
        options.addAll(buildDefineIncludeOptions());
        if (runtime != null) {
            options.add("-R" + runtime);
        }
        return options;
    }

    /** The `optinfo` advertised for this server: `-R`, `-B`, `-D`, `-I` options, space-separated. */
    public String optinfo() {
        List<String> options = new ArrayList<>();
        if (runtime != null) {
            options.add("-R" + runtime);
        }
        options.addAll(buildDefineIncludeOptions());
        return String.join(" ", options);
    }

    /** Concurrent translator runs: `--max-threads 0` (inline handling upstream) still means one at a time. */
    public int translatorSlots() {
        return Math.max(1, maxThreads);
    }

    private List<String> buildDefineIncludeOptions() {
        List<String> options = new ArrayList<>();
        buildOptions.forEach(option -> options.add("-B" + option));
        defines.forEach(define -> options.add("-D" + define));
        includes.forEach(include -> options.add("-I" + include));
        return options;
    }
}
