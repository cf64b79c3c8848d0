package org.stapfarm.protocol;

import java.util.Objects;

/** A regular file the translator left in its temporary directory, with a path relative to that directory. */
public record ResultFile(String path, byte[] content) {
    public ResultFile {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(content, "content");
    }
}
