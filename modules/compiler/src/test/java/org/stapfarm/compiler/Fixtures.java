package org.stapfarm.compiler;

import org.stapfarm.protocol.CompileRequest;
import org.stapfarm.protocol.ProtocolVersion;
import org.stapfarm.protocol.RequestFile;
import org.stapfarm.protocol.SysInfo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** Shared test helpers: requests, settings, the real translator and the fake ones. */
final class Fixtures {

    static final Path REAL_STAP = Path.of("/usr/bin/stap");
    static final String HELLO = "probe begin { printf(\"Hello World!\\n\"); exit() }";
    /** Limits generous enough for any real compile here; the fault tests set their own tight ones. */
    static final ResourceLimits LIMITS = new ResourceLimits(120, 64L << 20, 4L << 30, 0);
    static final long MAX_RESULT_BYTES = 128L << 20;

    private Fixtures() {
    }

    static CompileRequest request(List<String> arguments) {
        return request(arguments, Map.of(), List.of());
    }

    static CompileRequest request(List<String> arguments, Map<String, String> locale, List<RequestFile> files) {
        return new CompileRequest(ProtocolVersion.parse("4.8"), new SysInfo("6.1.0-test", "x86_64"), arguments,
                locale, List.of(), files, List.of());
    }

    static TranslatorSettings settings(Path executable, Path temporaryRoot, ResourceLimits limits, Duration timeout,
                                       Map<String, String> environment) {
        return new TranslatorSettings(executable, List.of(), temporaryRoot, limits, timeout,
                Fixtures.MAX_RESULT_BYTES, false, environment);
    }

    /**
     * Copies a fake translator out of the test resources and makes it executable: resource copying does
     * not keep the executable bit.
     */
    static Path fakeTranslator(String name, Path directory) throws IOException {
        Path target = directory.resolve(name);
        try (InputStream in = Fixtures.class.getResourceAsStream("/fake-translators/" + name)) {
            if (in == null) {
                throw new IOException("no fake translator " + name);
            }
            Files.copy(in, target);
        }
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
        return target;
    }

    /** A release under /lib/modules whose build tree exists, chosen now rather than hard-coded. */
    static Optional<String> installedRelease() throws IOException {
        if (!Files.isDirectory(BuildTargets.MODULES_ROOT)) {
            return Optional.empty();
        }
        try (Stream<Path> releases = Files.list(BuildTargets.MODULES_ROOT)) {
            return releases.filter(release -> Files.isDirectory(release.resolve("build")))
                    .map(release -> release.getFileName().toString())
                    .sorted()
                    .findFirst();
        }
    }

    /** Whether a live, non-zombie process has this pid. */
    static boolean processAlive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    static boolean isEmptyDirectory(Path directory) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.findAny().isEmpty();
        }
    }
}
