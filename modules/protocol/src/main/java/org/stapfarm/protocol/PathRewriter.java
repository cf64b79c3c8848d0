package org.stapfarm.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Hides server paths in the translator's output before it goes to the client (protocol section 4.4):
 * every occurrence of a given absolute path becomes `<server>`. Works on bytes, so output that is not valid
 * UTF-8 passes through unchanged.
 */
public final class PathRewriter {

    private static final byte[] REPLACEMENT = "<server>".getBytes(StandardCharsets.US_ASCII);

    /** Longest first, so that a response directory under the home directory becomes `<server>/...` whole. */
    private final List<byte[]> paths;

    /**
     * @param paths absolute paths such as the server user's home and the response directory; trailing
     *              slashes are ignored, and `/` and empty paths (an unset `$HOME`) are skipped, since
     *              replacing `/` would mangle every path
     * @throws IllegalArgumentException for a relative path
     */
    public PathRewriter(Collection<String> paths) {
        for (String path : paths) {
            if (!path.isEmpty() && !path.startsWith("/")) {
                throw new IllegalArgumentException("not an absolute path: '" + path + "'");
            }
        }
        this.paths = paths.stream()
                .map(path -> path.replaceAll("/+$", ""))
                .filter(path -> !path.isEmpty())
                .distinct()
                .sorted(Comparator.comparingInt(String::length).reversed())
                .map(path -> path.getBytes(StandardCharsets.UTF_8))
                .toList();
    }

    public byte[] rewrite(byte[] text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length);
        int position = 0;
        scan:
        while (position < text.length) {
            for (byte[] path : paths) {
                if (startsWith(text, position, path)) {
                    out.writeBytes(REPLACEMENT);
                    position += path.length;
                    continue scan;
                }
            }
            out.write(text[position++]);
        }
        return out.toByteArray();
    }

    private static boolean startsWith(byte[] text, int position, byte[] path) {
        return path.length <= text.length - position
                && Arrays.equals(text, position, position + path.length, path, 0, path.length);
    }
}
