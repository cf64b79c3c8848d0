package org.stapfarm.protocol;

import java.util.Objects;

/**
 * A user file carried by a request (`script/...` or `tapset/...`), with its request-relative path.
 * Paths are validated by the codec: relative, normalised, no `..`, never a link.
 */
public record RequestFile(String path, byte[] content) {
    public RequestFile {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(content, "content");
    }
}
