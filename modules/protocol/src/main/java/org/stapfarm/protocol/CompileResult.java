package org.stapfarm.protocol;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * What a compile produced, before it is zipped for the client.
 *
 * @param rc              the translator's exit status (or 1 for a server-side refusal)
 * @param stdout          the translator's standard output, paths already rewritten
 * @param stderr          `Server: ` lines first, then the translator's standard error, paths rewritten
 * @param moduleDirectory the files of the translator's temporary directory, sent as `stap000000/...`;
 *                        empty when the translator never ran
 * @param signingKey      DER certificate of a server MOK to hand to the client as `signing_key.x509`, or null
 */
public record CompileResult(int rc, byte[] stdout, byte[] stderr, List<ResultFile> moduleDirectory, byte[] signingKey) {

    public CompileResult {
        moduleDirectory = List.copyOf(moduleDirectory);
    }

    /** A refusal by the server itself: `rc` 1 and one `Server: ` line that the client prints. */
    public static CompileResult refused(String message) {
        return refused(List.of(message));
    }

    /** A refusal with one `Server: ` line per message. */
    public static CompileResult refused(List<String> messages) {
        StringBuilder stderr = new StringBuilder();
        messages.forEach(message -> stderr.append("Server: ").append(message).append('\n'));
        return new CompileResult(1, new byte[0], stderr.toString().getBytes(StandardCharsets.UTF_8), List.of(), null);
    }

    /** The refusal for a fault of the server itself; the details belong in its log, not on the client. */
    public static CompileResult internalError() {
        return refused("internal error in the compile server; its log has the details");
    }

}
