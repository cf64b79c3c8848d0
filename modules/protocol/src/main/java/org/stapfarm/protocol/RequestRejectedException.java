package org.stapfarm.protocol;

/**
 * A request the server will not compile. The message is written for the user at the client: one line,
 * sent back as `Server: <message>` with `rc` 1 (see {@link CompileResult#refused(String)}).
 */
public final class RequestRejectedException extends Exception {

    private static final long serialVersionUID = 1L;

    public RequestRejectedException(String message) {
        super(message);
    }
}
