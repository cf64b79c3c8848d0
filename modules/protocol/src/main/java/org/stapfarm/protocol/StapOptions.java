package org.stapfarm.protocol;

import static org.stapfarm.protocol.GnuGetopt.Argument.NONE;
import static org.stapfarm.protocol.GnuGetopt.Argument.OPTIONAL;
import static org.stapfarm.protocol.GnuGetopt.Argument.REQUIRED;

import java.util.List;

import org.stapfarm.protocol.GnuGetopt.LongOption;

/**
 * The SystemTap 4.8 translator's command-line grammar: `STAP_SHORT_OPTIONS` of `cmdline.h` and
 * `stap_long_options` of `cmdline.cxx` at upstream tag `release-4.8` (checked against Debian's 4.8 `stap`,
 * whose getopt error messages list the same long options). Options the translator accepts but no longer
 * handles (`-J`, `-j`, `--use-http-server` in builds without HTTP support) are listed all the same,
 * because getopt still consumes their arguments.
 */
final class StapOptions {

    static final String SHORT_OPTIONS = "hVvtp:I:e:E:o:R:r:a:m:kgPc:x:D:bs:uqiwl:d:L:FS:B:J:jWG:T:";

    static final List<LongOption> LONG_OPTIONS = List.of(
            new LongOption("skip-badvars", NONE),
            new LongOption("vp", REQUIRED),
            new LongOption("unprivileged", NONE),
            new LongOption("client-options", NONE),
            new LongOption("help", NONE),
            new LongOption("disable-cache", NONE),
            new LongOption("poison-cache", NONE),
            new LongOption("clean-cache", NONE),
            new LongOption("compatible", REQUIRED),
            new LongOption("ldd", NONE),
            new LongOption("use-server", OPTIONAL),
            new LongOption("list-servers", OPTIONAL),
            new LongOption("trust-servers", OPTIONAL),
            new LongOption("use-server-on-error", OPTIONAL),
            new LongOption("use-http-server", REQUIRED),
            new LongOption("all-modules", NONE),
            new LongOption("sign-module", OPTIONAL),
            new LongOption("remote", REQUIRED),
            new LongOption("remote-prefix", NONE),
            new LongOption("check-version", NONE),
            new LongOption("version", NONE),
            new LongOption("tmpdir", REQUIRED),
            new LongOption("download-debuginfo", OPTIONAL),
            new LongOption("dump-probe-types", NONE),
            new LongOption("dump-probe-aliases", NONE),
            new LongOption("dump-functions", NONE),
            new LongOption("privilege", REQUIRED),
            new LongOption("suppress-handler-errors", NONE),
            new LongOption("modinfo", REQUIRED),
            new LongOption("rlimit-as", REQUIRED),
            new LongOption("rlimit-cpu", REQUIRED),
            new LongOption("rlimit-nproc", REQUIRED),
            new LongOption("rlimit-stack", REQUIRED),
            new LongOption("rlimit-fsize", REQUIRED),
            new LongOption("sysroot", REQUIRED),
            new LongOption("sysenv", REQUIRED),
            new LongOption("suppress-time-limits", NONE),
            new LongOption("runtime", REQUIRED),
            new LongOption("dyninst", NONE),
            new LongOption("bpf", NONE),
            new LongOption("benchmark-sdt", NONE),
            new LongOption("benchmark-sdt-loops", REQUIRED),
            new LongOption("benchmark-sdt-threads", REQUIRED),
            new LongOption("color", OPTIONAL),
            new LongOption("colour", OPTIONAL, "color"),
            new LongOption("prologue-searching", OPTIONAL),
            new LongOption("save-uprobes", NONE),
            new LongOption("target-namespaces", REQUIRED),
            new LongOption("monitor", OPTIONAL),
            new LongOption("interactive", NONE),
            new LongOption("example", NONE),
            new LongOption("no-global-var-display", NONE));

    static final GnuGetopt PARSER = new GnuGetopt(SHORT_OPTIONS, LONG_OPTIONS);

    private StapOptions() {
    }
}
