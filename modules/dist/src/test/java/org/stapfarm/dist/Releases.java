package org.stapfarm.dist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Kernel releases whose build trees are installed here; never hard-coded. */
final class Releases {

    private Releases() {
    }

    static List<String> installed() {
        try (Stream<Path> releases = Files.list(Path.of("/lib/modules"))) {
            List<String> found = releases.filter(release -> Files.isDirectory(release.resolve("build")))
                    .map(release -> release.getFileName().toString())
                    .sorted()
                    .toList();
            if (found.isEmpty()) {
                throw new IllegalStateException("no kernel build tree under /lib/modules; run ops/install-dependencies");
            }
            return found;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String first() {
        return installed().get(0);
    }
}
