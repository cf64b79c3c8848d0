package org.stapfarm.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.stapfarm.protocol.TestZips.bytes;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

class PathRewriterTest {

    private static String rewrite(PathRewriter rewriter, String text) {
        return new String(rewriter.rewrite(bytes(text)), StandardCharsets.UTF_8);
    }

    @Test
    void theLongestPathIsReplacedFirst() {
        PathRewriter rewriter = new PathRewriter(List.of("/home/srv", "/home/srv/tmp/stap-server.Ab12/response"));

        assertEquals("Pass 3: translated to C into \"<server>/stap000000/x_src.c\"\nsee <server>/.systemtap/rc",
                rewrite(rewriter, "Pass 3: translated to C into \"/home/srv/tmp/stap-server.Ab12/response/"
                        + "stap000000/x_src.c\"\nsee /home/srv/.systemtap/rc"));
    }

    @Test
    void rootAndEmptyPathsAreSkippedAndTrailingSlashesIgnored() {
        PathRewriter rewriter = new PathRewriter(List.of("/", "/tmp/resp/"));

        assertEquals("Created temporary directory \"<server>/stap000000\"",
                rewrite(rewriter, "Created temporary directory \"/tmp/resp/stap000000\""));
    }

    @Test
    void bytesThatAreNotUtf8SurviveUntouched() {
        byte[] text = {(byte) 0xFF, '/', 'h', '/', 'x', (byte) 0xC3};
        assertArrayEquals(new byte[] {(byte) 0xFF, '<', 's', 'e', 'r', 'v', 'e', 'r', '>', '/', 'x', (byte) 0xC3},
                new PathRewriter(List.of("/h")).rewrite(text));
    }

    @Test
    void relativePathsAreAProgrammingError() {
        assertThrows(IllegalArgumentException.class, () -> new PathRewriter(List.of("tmp")));
    }
}
