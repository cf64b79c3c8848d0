package org.stapfarm.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

import org.stapfarm.protocol.GnuGetopt.Argument;
import org.stapfarm.protocol.GnuGetopt.LongOption;

/**
 * A legacy `stap-client` command line: any number of `--server SPEC` and `--ssl DIR`, in either the
 * `--opt=value` or the `--opt value` form, among the SystemTap translator's own arguments. The whole line is
 * read with the translator's grammar plus those two options, so a value is never taken for an option
 * (`-e --server` is a script) and an option is never taken for a value.
 *
 * @param servers          the `--server` values, in order
 * @param sslDirectories   the `--ssl` values, in order
 * @param translator       the translator arguments as the server's translator will read them
 * @param forwardedOptions the options the request carries, each in the attached form the stock client uses
 *                         (`-p4`, `-mNAME`, `--privilege=stapusr`), in command-line order; without `-I` (sent
 *                         as files), `-R`, `-k` and this client's own options
 * @param inlineScript     `-e`: the script is on the command line
 * @param listing          `-l`, `-L` or a `--dump-*` option: the translator stops after pass 2
 * @param release          the last `-r` value
 * @param arch             the last `-a` value
 * @param moduleName       the last `-m` value
 * @param command          the last `-c` value, for `staprun`
 * @param targetPid        the last `-x` value, for `staprun`
 * @param outputFile       the last `-o` value, for `staprun`
 * @param verbosity        the number of `-v`
 * @param problems         one line per unusable argument, in getopt's words or this client's
 */
public record ClientArguments(
        List<String> servers,
        List<String> sslDirectories,
        TranslatorArguments translator,
        List<String> forwardedOptions,
        boolean inlineScript,
        boolean listing,
        Optional<String> release,
        Optional<String> arch,
        Optional<String> moduleName,
        Optional<String> command,
        Optional<String> targetPid,
        Optional<String> outputFile,
        int verbosity,
        List<String> problems) {

    public static final String SERVER = "server";
    public static final String SSL = "ssl";
    /** The pass the translator runs to when no `-p` says otherwise. */
    private static final int DEFAULT_LAST_PASS = 5;
    private static final int LISTING_PASS = 2;

    private static final GnuGetopt PARSER = new GnuGetopt(StapOptions.SHORT_OPTIONS, withOwnOptions());

    public ClientArguments {
        servers = List.copyOf(servers);
        sslDirectories = List.copyOf(sslDirectories);
        forwardedOptions = List.copyOf(forwardedOptions);
        problems = List.copyOf(problems);
    }

    public static ClientArguments parse(List<String> argv) {
        GnuGetopt.Result parsed = PARSER.parse(argv);
        List<String> servers = new ArrayList<>();
        List<String> sslDirectories = new ArrayList<>();
        List<String> stapArguments = new ArrayList<>();
        List<String> forwarded = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        boolean inlineScript = false;
        boolean listing = false;
        String release = null;
        String arch = null;
        String moduleName = null;
        String command = null;
        String targetPid = null;
        String outputFile = null;
        int verbosity = 0;
        for (String error : parsed.errors()) {
            problems.add(ownOption(error).map(option -> "Missing argument to --" + option).orElse(error));
        }
        for (GnuGetopt.Option option : parsed.options()) {
            String value = option.value();
            switch (option.name()) {
                case SERVER, SSL -> {
                    if (value.isEmpty()) {
                        problems.add("Missing argument to --" + option.name());
                    } else {
                        (option.name().equals(SERVER) ? servers : sslDirectories).add(value);
                    }
                    continue;
                }
                case "e" -> inlineScript = true;
                case "l", "L", "dump-probe-types", "dump-probe-aliases", "dump-functions" -> listing = true;
                case "r" -> release = value;
                case "a" -> arch = value;
                case "m" -> moduleName = value;
                case "c" -> command = value;
                case "x" -> targetPid = value;
                case "o" -> outputFile = value;
                case "v" -> verbosity++;
                default -> {
                    // Only the translator needs to know.
                }
            }
            List<String> words = attached(option);
            stapArguments.addAll(words);
            if (!List.of("I", "R", "k").contains(option.name())) {
                forwarded.addAll(words);
            }
        }
        stapArguments.add("--");
        stapArguments.addAll(parsed.operands());
        return new ClientArguments(servers, sslDirectories, TranslatorArguments.parse(stapArguments), forwarded,
                inlineScript, listing, Optional.ofNullable(release), Optional.ofNullable(arch), Optional.ofNullable(moduleName),
                Optional.ofNullable(command), Optional.ofNullable(targetPid), Optional.ofNullable(outputFile),
                verbosity, problems);
    }

    /** The last pass the translator will run for this command line, the way the stock client reckons it. */
    public int lastPass() {
        return listing ? LISTING_PASS : translator.lastPass().orElse(DEFAULT_LAST_PASS);
    }

    /** Whether there is a script to build a module from (a file, standard input or `-e`). */
    public boolean hasScript() {
        return inlineScript || translator.script().isPresent();
    }

    /**
     * The request's `argv1..N` in the stock client's order (protocol section 2.3): the script file's request
     * path, then `-I` and the request path of each include directory, then the forwarded options, then `--`
     * and the script's arguments when there are any.
     *
     * @param scriptPath  maps the script operand to its path in the request (`script/...`)
     * @param tapsetPath  maps an `-I` value to its path in the request (`tapset/...`)
     */
    public List<String> requestArguments(UnaryOperator<String> scriptPath, UnaryOperator<String> tapsetPath) {
        List<String> arguments = new ArrayList<>();
        translator.script().map(scriptPath).ifPresent(arguments::add);
        for (String directory : translator.includeDirectories()) {
            arguments.add("-I");
            arguments.add(tapsetPath.apply(directory));
        }
        arguments.addAll(forwardedOptions);
        if (!translator.scriptArguments().isEmpty()) {
            arguments.add("--");
            arguments.addAll(translator.scriptArguments());
        }
        return arguments;
    }

    /**
     * An option in the attached form. An empty value stays a word of its own: attached, `-e ''` would become
     * `-e` and take the next word as its value.
     */
    private static List<String> attached(GnuGetopt.Option option) {
        String value = option.value();
        if (option.name().length() > 1) {
            return List.of("--" + option.name() + (value == null ? "" : "=" + value));
        }
        if (value != null && value.isEmpty()) {
            return List.of("-" + option.name(), "");
        }
        return List.of("-" + option.name() + (value == null ? "" : value));
    }

    /** Which of our options a getopt error is about, when it complains of a missing value. */
    private static Optional<String> ownOption(String error) {
        return List.of(SERVER, SSL).stream()
                .filter(option -> error.equals("option '--" + option + "' requires an argument"))
                .findFirst();
    }

    private static List<LongOption> withOwnOptions() {
        List<LongOption> options = new ArrayList<>(StapOptions.LONG_OPTIONS);
        options.add(new LongOption(SERVER, Argument.REQUIRED));
        options.add(new LongOption(SSL, Argument.REQUIRED));
        return options;
    }
}
