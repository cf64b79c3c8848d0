package org.stapfarm.cli.discovery;

import org.stapfarm.protocol.ThisHost;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.stapfarm.management.NodeEndpoint;

/**
 * A source of compile servers for `stap-find-servers`, `stap-find-or-start-server` and `stap-client`:
 * the user's own node ({@link LocalNodeFinder}) and DNS-SD ({@link DnsSdFinder}), combined in
 * {@link #forUser}.
 */
public interface ServerFinder {

    /** The servers this source knows of now, in a stable order; empty when it knows none. */
    List<FoundServer> find() throws IOException;

    /** Every source of servers the invoking user has. */
    static ServerFinder forUser(Map<String, String> environment, ThisHost host) {
        return new CombinedFinder(
                new LocalNodeFinder(NodeEndpoint.nodeDirectory(NodeEndpoint.systemtapDirectory(environment)),
                        host.hostName()),
                DnsSdFinder.configured());
    }
}
