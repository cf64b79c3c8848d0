package org.stapfarm.dist;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

/**
 * Site files for a test server, in directories of the workspace that the test user can read: a
 * configuration directory for STAPFARM_CONF (the distribution's logback.xml and an application.conf of
 * the given overrides), and translator test doubles from src/test/resources/fake-translators.
 */
final class SiteConfig {

    private SiteConfig() {
    }

    /** The environment that makes `stap-serverd` read `application.conf` with these HOCON lines. */
    static Map<String, String> environment(String... overrides) {
        return Map.of("STAPFARM_CONF", write(List.of(overrides)).toString());
    }

    /** A STAPFARM_CONF directory whose application.conf includes the defaults, then the overrides. */
    static Path write(List<String> overrides) {
        try {
            Path directory = readableDirectory("conf-");
            StringBuilder conf = new StringBuilder("include classpath(\"application\")\n");
            overrides.forEach(line -> conf.append(line).append('\n'));
            readableFile(directory.resolve("application.conf"), conf.toString().getBytes(StandardCharsets.UTF_8),
                    "rw-r--r--");
            readableFile(directory.resolve("logback.xml"),
                    Files.readAllBytes(Workspace.INSTANCE.distribution.resolve("conf/logback.xml")), "rw-r--r--");
            return directory;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Copies the test double `fake-translators/<name>` out of the test class path into the workspace as
     * an executable the test user can run, and returns its path (for SYSTEMTAP_STAP).
     */
    static Path translatorDouble(String name) {
        try (InputStream in = SiteConfig.class.getResourceAsStream("/fake-translators/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no test resource fake-translators/" + name);
            }
            Path directory = readableDirectory("translator-");
            Path executable = directory.resolve(name);
            readableFile(executable, in.readAllBytes(), "rwxr-xr-x");
            return executable;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path readableDirectory(String prefix) throws IOException {
        Path directory = Files.createTempDirectory(Workspace.INSTANCE.root, prefix);
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        return directory;
    }

    private static void readableFile(Path file, byte[] content, String permissions) throws IOException {
        Files.write(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
    }
}
