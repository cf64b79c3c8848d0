package org.stapfarm.security;

/**
 * The cluster CA or a node's cluster credentials cannot be used: incomplete, open to other users, or not
 * readable as what they should be. The message is one line meant for the operator (it names the file and,
 * where there is one, the fix); the cause carries the details.
 */
public final class ClusterCredentialsException extends Exception {
    private static final long serialVersionUID = 1L;

    public ClusterCredentialsException(String message) {
        super(message);
    }

    public ClusterCredentialsException(String message, Throwable cause) {
        super(message, cause);
    }
}
