package org.stapfarm.security;

import java.io.IOException;

/**
 * A file or directory that holds keys or trust decisions is not safe to use: a symbolic link, the wrong
 * type, owned by someone else, or open to other users. The message is one line meant for the user.
 */
public final class UnsafeFileException extends IOException {
    private static final long serialVersionUID = 1L;

    public UnsafeFileException(String message) {
        super(message);
    }
}
