package org.stapfarm.dist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

    /**
     * A STAPFARM_CONF directory whose application.conf includes the defaults, turns DNS-SD off as the
     * workspace's does ({@link Workspace#NO_DNS_SD}), then has the overrides.
     */
    static Path write(List<String> overrides) {
        try {
            Path directory = TestFiles.directory("conf-");
            TestFiles.write(directory.resolve("application.conf"),
                    "include classpath(\"application\")\n" + Workspace.NO_DNS_SD + "\n" + String.join("\n", overrides)
                            + "\n", "rw-r--r--");
            TestFiles.write(directory.resolve("logback.xml"),
                    Files.readString(Workspace.INSTANCE.distribution.resolve("conf/logback.xml")), "rw-r--r--");
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
        return TestFiles.copy("fake-translators/" + name, TestFiles.directory("translator-"), "rwxr-xr-x");
    }
}
