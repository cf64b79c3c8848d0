package org.stapfarm.compiler;

import org.stapfarm.protocol.ProtocolVersion;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The installed SystemTap translator: its version, which the server advertises as its protocol version,
 * and an identity that changes whenever the translator or its tapsets are replaced, so cached results
 * never outlive the translator that made them.
 */
public final class Translator {

    private static final Path DEFAULT_TAPSET_DIRECTORY = Path.of("/usr/share/systemtap/tapset");
    // `Systemtap translator/driver (version 4.8/0.188, Debian version 4.8-2)`: the part before the slash
    // is the SystemTap release; the part after it is elfutils'.
    private static final Pattern VERSION = Pattern.compile("\\(version ([0-9]+(?:\\.[0-9]+)*)");
    private static final long PROBE_TIMEOUT_SECONDS = 30;
    private static final int MAX_PROBE_OUTPUT = 64 * 1024;

    private final Path executable;
    private final ProtocolVersion version;
    private final String versionLine;
    private final Path tapsetDirectory;

    private Translator(Path executable, ProtocolVersion version, String versionLine, Path tapsetDirectory) {
        this.executable = executable;
        this.version = version;
        this.versionLine = versionLine;
        this.tapsetDirectory = tapsetDirectory;
    }

    /**
     * Runs `<executable> -V` and reads the version from its banner. The tapset directory is
     * `$SYSTEMTAP_TAPSET` when set, as the translator itself decides.
     */
    public static Translator probe(Path executable) throws CompilerSetupException {
        if (!Files.isRegularFile(executable) || !Files.isExecutable(executable)) {
            throw new CompilerSetupException("no SystemTap translator at " + executable
                    + " (not an executable file); install systemtap or configure the translator path");
        }
        String output = runVersionCommand(executable);
        for (String line : output.split("\n")) {
            Matcher matcher = VERSION.matcher(line);
            if (line.contains("translator/driver") && matcher.find()) {
                ProtocolVersion version;
                try {
                    version = ProtocolVersion.parse(matcher.group(1));
                } catch (IllegalArgumentException e) {
                    throw new CompilerSetupException(executable + " -V printed an unusable version: " + line.strip(), e);
                }
                String tapsets = System.getenv("SYSTEMTAP_TAPSET");
                return new Translator(executable, version, line.strip(),
                        tapsets == null || tapsets.isEmpty() ? DEFAULT_TAPSET_DIRECTORY : Path.of(tapsets));
            }
        }
        String first = output.isBlank() ? "no output" : "'" + output.strip().lines().findFirst().orElse("") + "'";
        throw new CompilerSetupException(executable + " -V did not print a SystemTap version (" + first
                + "); is it the SystemTap translator?");
    }

    public Path executable() {
        return executable;
    }

    /** The numeric SystemTap release, e.g. `4.8`. */
    public ProtocolVersion version() {
        return version;
    }

    /** The banner line `-V` printed, for logs. */
    public String versionLine() {
        return versionLine;
    }

    /**
     * Identity of the translator as installed right now: real path, size and mtime of the executable,
     * the banner, and the tapset directory's stamp. Taken afresh on each call, so a package upgrade under
     * a running node changes it without a restart.
     */
    public String fingerprint() throws IOException {
        Path real = executable.toRealPath();
        return String.join("\n", real.toString(), FileStamps.of(real), versionLine,
                tapsetDirectory.toString(), FileStamps.of(tapsetDirectory));
    }

    private static String runVersionCommand(Path executable) throws CompilerSetupException {
        Path output = null;
        Process process = null;
        try {
            // A file rather than a pipe: nothing can block however much the program prints.
            output = Files.createTempFile("stap-version", ".txt");
            process = new ProcessBuilder(List.of(executable.toString(), "-V"))
                    .redirectInput(new File("/dev/null"))
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
            if (!process.waitFor(PROBE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new CompilerSetupException(executable + " -V did not finish within "
                        + PROBE_TIMEOUT_SECONDS + " seconds");
            }
            try (var in = Files.newInputStream(output)) {
                return new String(in.readNBytes(MAX_PROBE_OUTPUT), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new CompilerSetupException("cannot run " + executable + " -V: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompilerSetupException("interrupted while running " + executable + " -V", e);
        } finally {
            if (process != null) {
                process.destroyForcibly();
            }
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // A leftover file of a few bytes in the temporary directory is harmless.
                }
            }
        }
    }
}
