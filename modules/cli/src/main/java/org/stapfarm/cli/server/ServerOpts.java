package org.stapfarm.cli.server;

import java.util.List;
import org.stapfarm.config.ServerSpec;

/**
 * The `<OPTS>` of every per-server message of `stap-server` (spec §1.10), e.g.
 * `-a "x86_64" -r "6.1.0" -u "alice" --log "/var/log/stap-server/log"`. `-k` and `-P` come last, because
 * stapfarm records them with the server (§5 item 13).
 */
final class ServerOpts {

    private ServerOpts() {
    }

    static String of(ServerSpec spec) {
        StringBuilder opts = new StringBuilder();
        always(opts, "-a", spec.arch());
        each(opts, "-r", spec.releases());
        ifGiven(opts, "-R", spec.runtime());
        each(opts, "-D", spec.defines());
        each(opts, "-I", spec.includes());
        each(opts, "-B", spec.buildOptions());
        always(opts, "-u", spec.user());
        ifGiven(opts, "-n", spec.nickname());
        always(opts, "--log", spec.log());
        ifGiven(opts, "--port", spec.port());
        ifGiven(opts, "--ssl", spec.ssl());
        ifGiven(opts, "--max-threads", spec.maxThreads());
        ifGiven(opts, "--max-request-size", spec.maxRequestSize());
        ifGiven(opts, "--max-compressed-request", spec.maxCompressedRequest());
        if (spec.keepTemporaries()) {
            opts.append(" -k");
        }
        if (spec.usePassword()) {
            opts.append(" -P");
        }
        return opts.toString();
    }

    private static void always(StringBuilder opts, String option, String value) {
        if (!opts.isEmpty()) {
            opts.append(' ');
        }
        opts.append(option).append(" \"").append(value.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    }

    private static void ifGiven(StringBuilder opts, String option, String value) {
        if (!value.isEmpty()) {
            always(opts, option, value);
        }
    }

    private static void each(StringBuilder opts, String option, List<String> values) {
        values.forEach(value -> always(opts, option, value));
    }
}
