package org.stapfarm.protocol;

/** A response the client will not use: not a compile-server response, or unsafe to unpack. One line for the user. */
public final class ResponseRejectedException extends Exception {

    private static final long serialVersionUID = 1L;

    public ResponseRejectedException(String message) {
        super(message);
    }
}
