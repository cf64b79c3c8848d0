package org.stapfarm.dist;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Files the stock client and the translator read (scripts, tapsets, a translator wrapper), copied out of
 * the test class path into world-readable directories of the workspace, because the checkout may sit
 * where the test user cannot look.
 */
final class TestFiles {

    private TestFiles() {
    }

    /** A fresh world-readable directory in the workspace, by its real path (the client canonicalises paths). */
    static Path directory(String prefix) {
        try {
            Path directory = Files.createTempDirectory(Workspace.INSTANCE.root, prefix);
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
            return directory.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies the test resource `resource` (e.g. `scripts/parity.stp`) to `directory/<file name>`. */
    static Path copy(String resource, Path directory) {
        return copy(resource, directory, "rw-r--r--");
    }

    /** The same, with the given permissions (`rwxr-xr-x` for a program to run). */
    static Path copy(String resource, Path directory, String permissions) {
        try (InputStream in = TestFiles.class.getResourceAsStream("/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("no test resource " + resource);
            }
            Path file = directory.resolve(Path.of(resource).getFileName().toString());
            write(file, in.readAllBytes(), permissions);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes `text` to `file` with the given permissions (`rwxr-xr-x` for a script to run). */
    static Path write(Path file, String text, String permissions) {
        try {
            write(file, text.getBytes(StandardCharsets.UTF_8), permissions);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes a directory tree, such as a client temporary directory kept with `-k`. */
    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, byte[] content, String permissions) throws IOException {
        Files.write(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
    }
}
