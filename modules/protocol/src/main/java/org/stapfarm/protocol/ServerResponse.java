package org.stapfarm.protocol;

/**
 * A decoded, checked response as a client sees it.
 *
 * @param serverVersion the server's protocol version ({@link ProtocolVersion#LEGACY} when it sent none)
 * @param result        what the translator produced; {@link CompileResult#moduleDirectory()} holds the files of
 *                      the response's `stap??????` directory, relative to it
 */
public record ServerResponse(ProtocolVersion serverVersion, CompileResult result) {
}
