package org.stapfarm.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Small text helpers shared by the request checks. */
final class Text {

    /** Longest piece of client-supplied text echoed into a message. */
    private static final int QUOTE_LIMIT = 200;

    private Text() {
    }

    /** Decodes UTF-8 and fails on any malformed input instead of substituting characters. */
    static String strictUtf8(byte[] bytes, int offset, int length) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes, offset, length))
                .toString();
    }

    /**
     * Quotes client-supplied text for a one-line message. Control characters are replaced because the
     * client prints the message on a terminal, and long values are cut because they are the client's own.
     */
    static String quote(String text) {
        StringBuilder quoted = new StringBuilder("'");
        text.codePoints().limit(QUOTE_LIMIT)
                .forEach(c -> quoted.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        if (text.codePointCount(0, text.length()) > QUOTE_LIMIT) {
            quoted.append("...");
        }
        return quoted.append('\'').toString();
    }

    /**
     * The `\n`-separated lines of a small client file. Bad UTF-8 becomes U+FFFD rather than an error: the
     * line checks that follow reject such lines one by one, as the reference server does, instead of
     * refusing the whole request. A last line without a newline still counts as a line.
     */
    static List<String> lines(byte[] content) {
        List<String> lines = new ArrayList<>(List.of(new String(content, StandardCharsets.UTF_8).split("\n", -1)));
        if (lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return lines;
    }
}
