package org.stapfarm.compiler;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How this server runs the translator, fixed at start-up.
 *
 * @param executable               the translator (`$SYSTEMTAP_STAP` or `<prefix>/bin/stap`)
 * @param serverOptions            options from the server's own command line, already in the attached form
 *                                 the translator gets (`-DFOO=1`, `-I/dir`, `-Bopt`, `-R/dir`, `-aARCH`),
 *                                 in start-up order; they go before `--client-options`, so the translator
 *                                 trusts them
 * @param temporaryRoot            where per-request directories are made (the server's `TMPDIR`)
 * @param limits                   resource limits for each run
 * @param timeout                  wall-clock limit for each run
 * @param maxResultBytes           largest result (stdout + stderr + module directory) returned to a client
 * @param keepTemporaryDirectories leave per-request directories behind for debugging (`stap-serverd -k`)
 * @param environment              the translator's base environment; request locale and `TMPDIR` are
 *                                 applied on top
 */
public record TranslatorSettings(
        Path executable,
        List<String> serverOptions,
        Path temporaryRoot,
        ResourceLimits limits,
        Duration timeout,
        long maxResultBytes,
        boolean keepTemporaryDirectories,
        Map<String, String> environment) {


    public TranslatorSettings {
        Objects.requireNonNull(executable, "executable");
        serverOptions = List.copyOf(serverOptions);
        Objects.requireNonNull(temporaryRoot, "temporaryRoot");
        Objects.requireNonNull(limits, "limits");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the translator timeout must be positive");
        }
        if (maxResultBytes <= 0) {
            throw new IllegalArgumentException("the result size limit must be positive");
        }
        environment = Map.copyOf(environment);
    }
}
