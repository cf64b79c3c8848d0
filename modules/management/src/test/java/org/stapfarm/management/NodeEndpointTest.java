package org.stapfarm.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeEndpointTest {

    @TempDir
    Path directory;

    @Test
    void publishedEndpointIsReadBackAndPrivate() throws Exception {
        NodeEndpoint endpoint = NodeEndpoint.create(4242, 99);
        endpoint.publish(directory);
        assertEquals(Optional.of(endpoint), NodeEndpoint.read(directory));
        assertEquals("rw-------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(directory.resolve("node.json"))));
        try (var files = Files.list(directory)) {
            assertEquals(List.of(directory.resolve("node.json")), files.toList(), "no temporary file left");
        }
    }

    @Test
    void tokensAreLongAndFresh() {
        String first = NodeEndpoint.create(1, 1).token();
        assertEquals(64, first.length());
        assertNotEquals(first, NodeEndpoint.create(1, 1).token());
    }

    @Test
    void noEndpointWhenNoNodeRuns() throws Exception {
        assertEquals(Optional.empty(), NodeEndpoint.read(directory));
    }

    @Test
    void garbageIsReportedNotTrusted() throws Exception {
        Files.writeString(directory.resolve("node.json"), "{not json");
        ManagementException e = assertThrows(ManagementException.class, () -> NodeEndpoint.read(directory));
        assertTrue(e.getMessage().contains("node.json"), e.getMessage());
    }

    @Test
    void withdrawingLeavesAnotherNodesEndpointAlone() throws Exception {
        NodeEndpoint old = NodeEndpoint.create(1, 1);
        NodeEndpoint current = NodeEndpoint.create(2, 2);
        current.publish(directory);
        old.withdraw(directory);
        assertEquals(Optional.of(current), NodeEndpoint.read(directory));
        current.withdraw(directory);
        assertEquals(Optional.empty(), NodeEndpoint.read(directory));
    }

    @Test
    void systemtapDirectoryFollowsTheStockTools() {
        assertEquals(Path.of("/srv/stap"), NodeEndpoint.systemtapDirectory(Map.of("SYSTEMTAP_DIR", "/srv/stap",
                "HOME", "/home/u")));
        assertEquals(Path.of("/home/u/.systemtap"), NodeEndpoint.systemtapDirectory(Map.of("HOME", "/home/u")));
        assertEquals(Path.of(System.getProperty("user.home"), ".systemtap"),
                NodeEndpoint.systemtapDirectory(Map.of()));
        assertEquals(Path.of("/x/stapfarm/node"), NodeEndpoint.nodeDirectory(Path.of("/x")));
    }
}
