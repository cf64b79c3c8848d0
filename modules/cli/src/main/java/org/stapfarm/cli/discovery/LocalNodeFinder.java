package org.stapfarm.cli.discovery;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.stapfarm.management.ManagementClient;
import org.stapfarm.management.ManagementException;
import org.stapfarm.management.NodeEndpoint;
import org.stapfarm.management.NodeView;
import org.stapfarm.management.ServerView;
import org.stapfarm.protocol.SysInfo;

/**
 * The running servers of the invoking user's node, one {@link FoundServer} per release, in the node's order.
 *
 * <p>They are reported at the loopback address 127.0.0.1: they listen on every address (dual stack), this
 * finder only ever reports them to users of this host, and loopback is the one address that reaches them
 * whatever the host's interfaces and firewall. The host name is this host's own (`uname -n`), as a DNS-SD
 * advertisement would carry it.
 */
public final class LocalNodeFinder implements ServerFinder {

    static final String LOOPBACK = "127.0.0.1";

    private final Path nodeDirectory;
    private final String hostName;

    public LocalNodeFinder(Path nodeDirectory, String hostName) {
        this.nodeDirectory = nodeDirectory;
        this.hostName = hostName;
    }

    @Override
    public List<FoundServer> find() throws IOException {
        // No node has ever run for this user: return before NodeEndpoint.read, which sets up a JSON mapper
        // (a quarter of a second of class loading) before it looks for the file.
        if (!Files.isDirectory(nodeDirectory)) {
            return List.of();
        }
        Optional<NodeEndpoint> endpoint;
        NodeView node;
        try {
            endpoint = NodeEndpoint.read(nodeDirectory);
            // A node that died without withdrawing its endpoint runs no servers; asking it would only time out.
            if (endpoint.isEmpty() || !ProcessHandle.of(endpoint.get().pid()).map(ProcessHandle::isAlive).orElse(false)) {
                return List.of();
            }
            node = new ManagementClient(endpoint.get()).node();
        } catch (ManagementException e) {
            throw new IOException(e.getMessage(), e);
        }
        List<FoundServer> found = new ArrayList<>();
        for (ServerView server : node.servers()) {
            if (server.state().equals(ServerView.RUNNING)) {
                for (String release : server.releases()) {
                    found.add(new FoundServer(hostName, LOOPBACK, server.port(), new SysInfo(release, server.arch())));
                }
            }
        }
        return found;
    }
}
