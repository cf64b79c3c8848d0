package org.stapfarm.security;

/**
 * The server identity could not be loaded or created. The message is one line meant for the user (it
 * names the directory or file and, where there is one, the fix); the cause carries the details.
 */
public final class IdentityStoreException extends Exception {
    private static final long serialVersionUID = 1L;

    public IdentityStoreException(String message) {
        super(message);
    }

    public IdentityStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
