package org.stapfarm.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * Reads the reference `stap-serverd` command line. Long options take `--opt=value` and `--opt value`,
 * short ones `-rVALUE` and `-r VALUE`, as upstream's getopt does.
 */
public final class ServerOptionsParser {

    /** Defaults for the request limits: far above upstream's 5000/50000 bytes, which a few tapset files exceed. */
    public static final long DEFAULT_MAX_REQUEST_SIZE = 16L * 1024 * 1024;
    public static final long DEFAULT_MAX_COMPRESSED_REQUEST = 4L * 1024 * 1024;

    private ServerOptionsParser() {
    }

    /** Thrown for a command line the daemon cannot start with; the message is meant for the user. */
    public static final class InvalidOptionsException extends Exception {
        public InvalidOptionsException(String message) {
            super(message);
        }
    }

    @Command(name = "stap-serverd")
    private static final class Spec {
        @Option(names = "-r") List<String> releases = new ArrayList<>();
        @Option(names = "-a") String arch;
        @Option(names = "-B") List<String> buildOptions = new ArrayList<>();
        @Option(names = "-D") List<String> defines = new ArrayList<>();
        @Option(names = "-I") List<String> includes = new ArrayList<>();
        @Option(names = "-R") String runtime;
        @Option(names = "-k") boolean keepTemporaries;
        @Option(names = "-P") boolean usePassword;
        @Option(names = "--port") String port;
        @Option(names = "--ssl") Path sslDirectory;
        @Option(names = "--log") Path logFile;
        @Option(names = "--max-threads") String maxThreads;
        @Option(names = "--max-request-size") String maxRequestSize;
        @Option(names = "--max-compressed-request") String maxCompressedRequest;
    }

    public static ServerOptions parse(List<String> arguments) throws InvalidOptionsException {
        Spec spec = read(arguments);
        return new ServerOptions(
                spec.releases, spec.arch, spec.buildOptions, spec.defines, spec.includes, spec.runtime,
                spec.keepTemporaries, spec.usePassword,
                port(spec.port),
                spec.sslDirectory, spec.logFile,
                spec.maxThreads == null ? Runtime.getRuntime().availableProcessors()
                        : (int) unsigned("max-threads", spec.maxThreads, Integer.MAX_VALUE),
                positive("max-request-size", spec.maxRequestSize, DEFAULT_MAX_REQUEST_SIZE),
                positive("max-compressed-request", spec.maxCompressedRequest, DEFAULT_MAX_COMPRESSED_REQUEST));
    }

    /**
     * The server these options start as `stap-server` describes one: the inverse of
     * {@link ServerSpec#daemonArguments()}, values as written. User and nickname are not daemon options, so
     * they are left empty; the values themselves are checked by {@link #parse}.
     */
    public static ServerSpec describe(List<String> arguments) throws InvalidOptionsException {
        Spec spec = read(arguments);
        return new ServerSpec(spec.arch, spec.releases, spec.includes, spec.defines, spec.buildOptions, spec.runtime,
                "", "", Objects.toString(spec.logFile, ""), spec.port, Objects.toString(spec.sslDirectory, ""),
                spec.maxThreads, spec.maxRequestSize, spec.maxCompressedRequest, spec.keepTemporaries,
                spec.usePassword);
    }

    private static Spec read(List<String> arguments) throws InvalidOptionsException {
        Spec spec = new Spec();
        CommandLine commandLine = new CommandLine(spec);
        commandLine.setPosixClusteredShortOptionsAllowed(true);
        // getopt keeps the last of a repeated single-valued option (`--port 1 --port 2`).
        commandLine.setOverwrittenOptionsAllowed(true);
        try {
            commandLine.parseArgs(arguments.toArray(String[]::new));
        } catch (ParameterException e) {
            throw new InvalidOptionsException(e.getMessage());
        }
        return spec;
    }

    private static int port(String text) throws InvalidOptionsException {
        if (text == null) {
            return 0;
        }
        if (!text.matches("[0-9]+")) {
            throw new InvalidOptionsException("invalid entry: port '" + text + "' is not a number");
        }
        if (text.length() > 5 || Integer.parseInt(text) > 65535) {
            throw new InvalidOptionsException("invalid entry: port must be between 0 and 65535");
        }
        return Integer.parseInt(text);
    }

    private static long positive(String option, String text, long fallback) throws InvalidOptionsException {
        if (text == null) {
            return fallback;
        }
        long value = unsigned(option, text, Long.MAX_VALUE);
        if (value < 1) {
            throw new InvalidOptionsException("invalid entry: " + option + " must be at least 1");
        }
        return value;
    }

    /** Like strtoul with base 0, as upstream reads these numbers: decimal, `0x` hexadecimal or `0` octal. */
    private static long unsigned(String option, String text, long max) throws InvalidOptionsException {
        try {
            long value = Long.decode(text);
            if (value < 0 || value > max) {
                throw new InvalidOptionsException("invalid entry: " + option + " '" + text + "' is out of range");
            }
            return value;
        } catch (NumberFormatException e) {
            throw new InvalidOptionsException("invalid entry: " + option + " '" + text + "' is not a number");
        }
    }
}
