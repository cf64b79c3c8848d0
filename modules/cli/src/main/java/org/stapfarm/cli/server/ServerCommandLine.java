package org.stapfarm.cli.server;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.stapfarm.config.ServerFile;
import org.stapfarm.config.ServerOptionsParser;
import org.stapfarm.config.ServerOptionsParser.InvalidOptionsException;
import org.stapfarm.config.ServerSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The options of `stap-server` (everything after the action, spec §1.4), read the GNU way: `-ai386`,
 * `-a i386`, `--port=1`, `--port 1`, unambiguous prefixes of long options, `--` ends the options, and a
 * value is the next argument whatever it looks like (`-B -j4`). Fixes §5 items 3, 4, 5, 7 and 8.
 * The whole command line describes at most one server (§1.5), so the options that upstream documents as
 * lists may be given once each (§5 item 10).
 *
 * `-k` and `-P` do not describe a server by themselves: they apply to every server the run starts,
 * configured ones included, and are recorded with each.
 *
 * @param configFile       `-c`, resolved against the working directory
 * @param nickname         `-n`, selecting or naming the server
 * @param id               `-p`, selecting a recorded server
 * @param server           the server options, `-k` and `-P` included, as overrides: empty fields were not given
 * @param hasServerOptions whether a server option other than `-k` and `-P` was given
 * @param json             `--json`: `status` prints JSON for scripts
 */
record ServerCommandLine(Optional<Path> configFile, Optional<String> nickname, Optional<String> id,
                         ServerSpec server, boolean hasServerOptions, boolean json) {

    /** An unusable command line; the message is meant for the user. */
    static final class InvalidCommandLineException extends Exception {
        InvalidCommandLineException(String message) {
            super(message);
        }
    }

    private static final Set<String> ONCE_EACH = Set.of("--log", "--port", "--ssl", "--max-threads",
            "--max-request-size", "--max-compressed-request", "-n", "-p");
    private static final Set<String> NOT_SERVER_OPTIONS = Set.of("-c", "-k", "-P", "-n", "-p", "--json");

    /** A `-r` value or an `-i`, in command-line order, so that releases keep the order they were given in. */
    private sealed interface ReleaseSource permits Named, Installed {
    }

    private record Named(String value) implements ReleaseSource {
    }

    private record Installed() implements ReleaseSource {
    }

    @Command(name = "stap-server")
    private static final class Options {
        final List<ReleaseSource> releases = new ArrayList<>();
        @Option(names = "-a") String arch;
        @Option(names = "-I") List<String> includes = new ArrayList<>();
        @Option(names = "-D") List<String> defines = new ArrayList<>();
        @Option(names = "-B") List<String> buildOptions = new ArrayList<>();
        @Option(names = "-R") String runtime;
        @Option(names = "-u") String user;
        @Option(names = "-n") String nickname;
        @Option(names = "-p") String id;
        @Option(names = "-c") String configFile;
        @Option(names = "-k") boolean keepTemporaries;
        @Option(names = "-P") boolean usePassword;
        @Option(names = "--json") boolean json;
        @Option(names = "--log") String log;
        @Option(names = "--port") String port;
        @Option(names = "--ssl") String ssl;
        @Option(names = "--max-threads") String maxThreads;
        @Option(names = "--max-request-size") String maxRequestSize;
        @Option(names = "--max-compressed-request") String maxCompressedRequest;
        /** Only to refuse them: there are no operands, not even after `--`. */
        @Parameters List<String> operands = new ArrayList<>();

        @Option(names = "-r")
        void release(String value) {
            releases.add(new Named(value));
        }

        @Option(names = "-i")
        void installedReleases(boolean given) {
            releases.add(new Installed());
        }
    }

    static ServerCommandLine parse(List<String> arguments, Environment environment)
            throws InvalidCommandLineException {
        int empty = arguments.indexOf("");
        if (empty >= 0) {
            // picocli drops an empty argument (or trips over it), which would repeat upstream's bug (§5 item 5).
            throw new InvalidCommandLineException("argument " + (empty + 1) + " after the action is empty"
                    + (empty > 0 ? " (after '" + arguments.get(empty - 1) + "')" : "")
                    + "; options and their values cannot be empty");
        }
        Options options = new Options();
        CommandSpec spec = CommandSpec.forAnnotatedObject(options);
        List<String> longNames = withPrefixAliases(spec);
        CommandLine commandLine = new CommandLine(spec);
        commandLine.setAllowOptionsAsOptionParameters(true);
        // -a, -R, -u and -c keep upstream's "last one wins"; the options that must not repeat are checked below.
        commandLine.setOverwrittenOptionsAllowed(true);
        ParseResult result;
        try {
            result = commandLine.parseArgs(arguments.toArray(String[]::new));
        } catch (UnmatchedArgumentException e) {
            throw new InvalidCommandLineException(unmatched(e, longNames));
        } catch (ParameterException e) {
            throw new InvalidCommandLineException(e.getMessage());
        }
        if (!options.operands.isEmpty()) {
            throw new InvalidCommandLineException("unexpected argument '" + options.operands.get(0)
                    + "': after the action, stap-server takes options only");
        }
        boolean hasServerOptions = false;
        for (OptionSpec option : Set.copyOf(result.matchedOptions())) {
            String name = option.longestName();
            List<String> values = option.arity().max() == 0 ? List.of() : option.originalStringValues();
            for (String value : values) {
                if (value.isEmpty()) {
                    throw new InvalidCommandLineException("option " + name + " needs a value, not an empty string");
                }
                if (value.indexOf('\n') >= 0) {
                    throw new InvalidCommandLineException("option " + name + ": a value cannot contain a line break");
                }
            }
            if (ONCE_EACH.contains(name) && values.size() > 1) {
                throw new InvalidCommandLineException("option " + name + " given " + values.size()
                        + " times: the command line describes one server, so it takes " + name + " at most once");
            }
            hasServerOptions |= !NOT_SERVER_OPTIONS.contains(name);
        }
        if (options.nickname != null && options.id != null) {
            throw new InvalidCommandLineException("options -n and -p both select a server: give one of them");
        }
        if (options.nickname != null && ServerFile.isIdLike(options.nickname)) {
            throw new InvalidCommandLineException("nickname " + options.nickname
                    + " has only digits, which is how server ids look: select a server by id with -p "
                    + options.nickname + ", or choose a nickname with a letter in it");
        }
        Path workingDirectory = environment.workingDirectory();
        ServerSpec server = new ServerSpec(options.arch, releases(options.releases, environment), absolute(
                options.includes, workingDirectory), options.defines, options.buildOptions,
                absolute(options.runtime, workingDirectory), options.user, "", absolute(options.log, workingDirectory),
                options.port, absolute(options.ssl, workingDirectory), options.maxThreads, options.maxRequestSize,
                options.maxCompressedRequest, options.keepTemporaries, options.usePassword);
        try {
            ServerOptionsParser.parse(server.daemonArguments());
        } catch (InvalidOptionsException e) {
            throw new InvalidCommandLineException(e.getMessage());
        }
        return new ServerCommandLine(
                Optional.ofNullable(options.configFile).map(workingDirectory::resolve),
                Optional.ofNullable(options.nickname), Optional.ofNullable(options.id), server, hasServerOptions,
                options.json);
    }

    /**
     * Makes every unambiguous prefix of a long option (`--po` for `--port`) one of its names, which is how GNU
     * getopt abbreviates; picocli's own abbreviations also match inner parts, so that `--max-request` would be
     * ambiguous. Returns the full long names.
     */
    private static List<String> withPrefixAliases(CommandSpec spec) {
        List<OptionSpec> longOptions = spec.options().stream()
                .filter(option -> option.longestName().startsWith("--")).toList();
        List<String> longNames = longOptions.stream().map(OptionSpec::longestName).toList();
        for (OptionSpec option : longOptions) {
            String name = option.longestName();
            List<String> names = new ArrayList<>(List.of(option.names()));
            for (int length = "--".length() + 1; length < name.length(); length++) {
                String prefix = name.substring(0, length);
                if (longNames.stream().filter(other -> other.startsWith(prefix)).count() == 1) {
                    names.add(prefix);
                }
            }
            spec.remove(option);
            spec.addOption(option.toBuilder().names(names.toArray(String[]::new)).build());
        }
        return longNames;
    }

    /** picocli's message, except for an ambiguous abbreviation, which GNU getopt explains. */
    private static String unmatched(UnmatchedArgumentException e, List<String> longNames) {
        String first = e.getUnmatched().isEmpty() ? "" : e.getUnmatched().get(0);
        String name = first.contains("=") ? first.substring(0, first.indexOf('=')) : first;
        List<String> candidates = longNames.stream().filter(longName -> name.startsWith("--")
                && longName.startsWith(name)).toList();
        if (candidates.size() > 1) {
            return "option '" + name + "' is ambiguous; possibilities: '" + String.join("' '", candidates) + "'";
        }
        return e.getMessage();
    }

    /** Whether the command line describes a server (§1.5): by selecting one, or by any server option. */
    boolean describesServer() {
        return nickname.isPresent() || id.isPresent() || hasServerOptions;
    }

    private static List<String> releases(List<ReleaseSource> sources, Environment environment)
            throws InvalidCommandLineException {
        List<String> releases = new ArrayList<>();
        for (ReleaseSource source : sources) {
            if (source instanceof Named named) {
                releases.add(release(named.value(), environment.workingDirectory()));
            } else {
                releases.addAll(installed(environment.modulesDirectory()));
            }
        }
        return releases;
    }

    /**
     * A release, or a build tree path, which must hold the release it builds (§5 item 7). Paths are made
     * absolute: the server resolves them in its own working directory, not the caller's.
     */
    private static String release(String value, Path workingDirectory) throws InvalidCommandLineException {
        boolean path = value.startsWith("/") || value.startsWith("./") || value.startsWith("../")
                || value.equals(".") || value.equals("..");
        if (!path) {
            return value;
        }
        Path tree = workingDirectory.resolve(value).normalize();
        if (!Files.isRegularFile(tree.resolve("include/config/kernel.release"))) {
            throw new InvalidCommandLineException("Missing " + value + "/include/config/kernel.release");
        }
        return tree.toString();
    }

    /**
     * What `-i` adds: every release of `/lib/modules` that has a build tree, sorted, read without changing
     * directory (§5 item 8). Upstream added every entry, and one kernel without headers made the whole
     * server fail to start.
     */
    private static List<String> installed(Path modulesDirectory) throws InvalidCommandLineException {
        List<String> releases = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(modulesDirectory)) {
            entries.forEach(entry -> {
                if (Files.isDirectory(entry.resolve("build"))) {
                    releases.add(entry.getFileName().toString());
                }
            });
        } catch (IOException e) {
            throw new InvalidCommandLineException("-i: cannot list " + modulesDirectory + ": " + IoErrors.describe(e));
        }
        if (releases.isEmpty()) {
            throw new InvalidCommandLineException("-i: no kernel release in " + modulesDirectory
                    + " has a build tree; install the linux-headers package of a kernel");
        }
        releases.sort(null);
        return releases;
    }

    private static String absolute(String path, Path workingDirectory) {
        return path == null ? null : workingDirectory.resolve(path).toString();
    }

    private static List<String> absolute(List<String> paths, Path workingDirectory) {
        return paths.stream().map(path -> absolute(path, workingDirectory)).toList();
    }
}
