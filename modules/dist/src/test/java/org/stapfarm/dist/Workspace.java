package org.stapfarm.dist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A directory every test user can traverse, holding a copy of the built distribution: the checkout itself
 * may sit below a directory the test user cannot enter (such as /root).
 */
final class Workspace {

    /**
     * The tests run on this machine's own network: their nodes must not advertise themselves on it, their
     * commands must not browse it, and one run's servers must not show up in another's findings. The copy of
     * the distribution and every SiteConfig therefore turn DNS-SD off; DnsSdIT turns it on inside network
     * namespaces of its own.
     */
    static final String NO_DNS_SD = "stapfarm.discovery.enabled = off";

    static final Workspace INSTANCE = create();

    final Path root;
    final Path distribution;

    private Workspace(Path root, Path distribution) {
        this.root = root;
        this.distribution = distribution;
    }

    private static Workspace create() {
        try {
            Path built = Path.of(System.getProperty("stapfarm.dist", "target/stapfarm")).toAbsolutePath();
            if (!Files.isExecutable(built.resolve("bin/stap-serverd"))) {
                throw new IllegalStateException("no distribution at " + built + "; run the package phase first");
            }
            Path root = Files.createTempDirectory("stapfarm-it-");
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path distribution = root.resolve("stapfarm");
            copy(built, distribution);
            Files.writeString(distribution.resolve("conf/application.conf"), "\n" + NO_DNS_SD + "\n",
                    StandardOpenOption.APPEND);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(root), "workspace-cleanup"));
            return new Workspace(root, distribution);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path bin(String command) {
        return distribution.resolve("bin").resolve(command);
    }

    /** Servers and clients have stopped by the time the JVM exits; what they left goes with the workspace. */
    private static void delete(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not remove the test workspace " + root + ": " + e.getMessage());
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path source : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(source).toString());
                Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
                Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(
                        Files.isDirectory(source) || Files.isExecutable(source) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }
}
