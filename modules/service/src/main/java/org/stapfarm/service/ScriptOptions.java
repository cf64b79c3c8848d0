package org.stapfarm.service;

import java.util.ArrayList;
import java.util.List;
import org.stapfarm.protocol.ClientArguments;
import org.stapfarm.protocol.TranslatorArguments;

/**
 * What a script's `<name>_OPT` means for compiling and for starting (spec §3.3, §5.6 item 48). The words are read
 * with the SystemTap 4.8 translator's own grammar, so every option `stap` takes is understood (upstream's getopt
 * knew a fixed subset and failed on the rest), and sorted into:
 * <ul>
 * <li>start-time options: `-c CMD`, `-x PID`, `-o FILE`, `-S SIZE[,N]` go to the runner unchanged, `-s N` becomes
 *     `staprun -b N` (upstream's list); `-o` also selects file flight-recorder mode (`staprun -D`);</li>
 * <li>options ignored at compile time, as upstream: `-p -m -r -c -x -e -s -o -S -h -V -k -F` (and `--help`,
 *     `--version`): the service chooses the pass, the module name, the release and the mode itself;</li>
 * <li>options refused, because the service could not build or run the result: anything that selects another
 *     architecture, host or server (`-a`, `--remote`, `--use-server`, ...), listing modes, interactive mode, the
 *     dyninst runtime, and script arguments;</li>
 * <li>every other option is a compile-time option, kept in the attached form in `_OPT` order after `-I` and `-R`.</li>
 * </ul>
 * `--runtime=bpf` (or `--bpf`) selects the BPF runtime: the module is a `.bo` run by `stapbpf`, which takes `-c`,
 * `-x` and `-o` but has neither `-b` nor `-S`.
 *
 * @param runtime        which runtime the module is for
 * @param compileOptions the options for `stap -p4`, attached form
 * @param startOptions   the options for the runner, before its mode option and the module
 * @param fileMode       `-o` was given: `staprun -D` rather than `-L`
 */
record ScriptOptions(Runtime runtime, List<String> compileOptions, List<String> startOptions, boolean fileMode) {

    /** The runtime a module is built for; decides the module's suffix and the program that runs it. */
    enum Runtime {
        KERNEL("ko"), BPF("bo");

        final String suffix;

        Runtime(String suffix) {
            this.suffix = suffix;
        }
    }

    /** A script without `_OPT`: a kernel module, loaded in memory flight-recorder mode. */
    static final ScriptOptions NONE = new ScriptOptions(Runtime.KERNEL, List.of(), List.of(), false);

    private static final List<String> IGNORED_AT_COMPILE =
            List.of("p", "m", "r", "e", "h", "V", "F", "help", "version");
    private static final List<String> LISTING =
            List.of("l", "L", "dump-probe-types", "dump-probe-aliases", "dump-functions");
    private static final List<String> ELSEWHERE = List.of("a", "remote", "remote-prefix", "use-server",
            "use-server-on-error", "list-servers", "trust-servers", "use-http-server");

    ScriptOptions {
        compileOptions = List.copyOf(compileOptions);
        startOptions = List.copyOf(startOptions);
    }

    /** Thrown for `_OPT` words the service cannot use; the message says which and why. */
    static final class InvalidOptionsException extends Exception {
        InvalidOptionsException(String message) {
            super(message);
        }
    }

    static ScriptOptions parse(List<String> words) throws InvalidOptionsException {
        ClientArguments arguments = ClientArguments.parse(words);
        TranslatorArguments translator = arguments.translator();
        List<String> problems = new ArrayList<>(arguments.problems());
        problems.addAll(translator.problems());
        if (!problems.isEmpty()) {
            throw new InvalidOptionsException(problems.get(0));
        }
        if (!arguments.servers().isEmpty() || !arguments.sslDirectories().isEmpty()) {
            throw new InvalidOptionsException("--server and --ssl are not stap options; the service's compile"
                    + " servers are COMPILE_SERVER and COMPILE_SSL in its configuration");
        }
        List<String> operands = new ArrayList<>();
        translator.script().ifPresent(operands::add);
        operands.addAll(translator.scriptArguments());
        if (!operands.isEmpty()) {
            throw new InvalidOptionsException("script arguments are not supported (" + Words.join(operands) + ")");
        }
        Runtime runtime = Runtime.KERNEL;
        boolean fileMode = false;
        boolean sizing = false;
        List<String> compile = new ArrayList<>();
        List<String> start = new ArrayList<>();
        translator.includeDirectories().forEach(directory -> compile.add("-I" + directory));
        translator.runtimeDirectories().forEach(directory -> compile.add("-R" + directory));
        List<String> forwarded = arguments.forwardedOptions();
        for (int i = 0; i < forwarded.size(); i++) {
            // ClientArguments gives each option in the attached form: `-Xvalue`, `--name[=value]`, or `-X` and an
            // empty word for an empty value.
            String word = forwarded.get(i);
            String name;
            String value;
            List<String> attached = new ArrayList<>(List.of(word));
            if (word.startsWith("--")) {
                int equals = word.indexOf('=');
                name = word.substring(2, equals < 0 ? word.length() : equals);
                value = equals < 0 ? null : word.substring(equals + 1);
            } else {
                name = word.substring(1, 2);
                value = word.length() > 2 ? word.substring(2) : null;
                if (value == null && i + 1 < forwarded.size() && forwarded.get(i + 1).isEmpty()) {
                    value = forwarded.get(++i);
                    attached.add(value);
                }
            }
            switch (name) {
                case "c", "x" -> start.addAll(List.of("-" + name, value));
                case "S" -> {
                    start.addAll(List.of("-S", value));
                    sizing = true;
                }
                case "o" -> {
                    start.addAll(List.of("-o", value));
                    fileMode = true;
                }
                case "s" -> {
                    start.addAll(List.of("-b", value));
                    sizing = true;
                }
                case "runtime" -> {
                    runtime = switch (value) {
                        case "kernel" -> Runtime.KERNEL;
                        case "bpf" -> Runtime.BPF;
                        default -> throw new InvalidOptionsException("--runtime=" + value + ": the service runs"
                                + " kernel and bpf modules only");
                    };
                    compile.addAll(attached);
                }
                case "bpf" -> {
                    runtime = Runtime.BPF;
                    compile.addAll(attached);
                }
                case "dyninst" -> throw new InvalidOptionsException("--dyninst: the service runs kernel and bpf"
                        + " modules only");
                case "i", "interactive", "example" -> throw new InvalidOptionsException(word
                        + ": a service is not interactive");
                default -> {
                    if (LISTING.contains(name)) {
                        throw new InvalidOptionsException(word + " lists probes instead of building a module");
                    }
                    if (ELSEWHERE.contains(name)) {
                        throw new InvalidOptionsException(word + ": the service compiles for this machine, through"
                                + " COMPILE_SERVER when the kernel's build tree is not installed here");
                    }
                    if (!IGNORED_AT_COMPILE.contains(name)) {
                        compile.addAll(attached);
                    }
                }
            }
        }
        if (runtime == Runtime.BPF && sizing) {
            throw new InvalidOptionsException("-s and -S select staprun's buffer and output file size, which"
                    + " stapbpf does not have (--runtime=bpf)");
        }
        return new ScriptOptions(runtime, compile, start, fileMode);
    }

    /** The compile options as the cache records them, one line. */
    String recordedCompileOptions() {
        return Words.join(compileOptions);
    }
}
