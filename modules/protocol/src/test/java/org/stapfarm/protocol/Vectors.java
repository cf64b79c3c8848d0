package org.stapfarm.protocol;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The captured exchanges in `shared/spec/vectors`, which CI keeps next to the repository. */
final class Vectors {

    private Vectors() {
    }

    static Path root() {
        Path root = Path.of(System.getProperty("user.dir")).resolve("../../../shared/spec/vectors").normalize();
        if (!Files.isDirectory(root)) {
            fail("test vectors not found at " + root + "; the shared/ folder must sit next to the repository");
        }
        return root;
    }

    static byte[] read(String vector, String file) {
        try {
            return Files.readAllBytes(root().resolve(vector).resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The vectors that carry a request zip. */
    static List<String> withRequests() {
        try (Stream<Path> vectors = Files.list(root())) {
            return vectors.filter(v -> Files.isRegularFile(v.resolve("request.zip")))
                    .map(v -> v.getFileName().toString())
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
