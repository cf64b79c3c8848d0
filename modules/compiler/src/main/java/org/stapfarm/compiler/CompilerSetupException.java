package org.stapfarm.compiler;

/**
 * The server cannot compile for a target or with a translator as configured: a missing kernel build
 * tree, a missing translator, unusable settings. The message is one line for the operator or the user;
 * it names the file involved and, where there is one, the fix. The cause carries the details.
 */
public final class CompilerSetupException extends Exception {
    private static final long serialVersionUID = 1L;

    public CompilerSetupException(String message) {
        super(message);
    }

    public CompilerSetupException(String message, Throwable cause) {
        super(message, cause);
    }
}
