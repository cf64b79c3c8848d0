package org.stapfarm.management;

import java.util.List;

/**
 * A node and the servers it runs.
 *
 * @param pid     the node's process id
 * @param user    the account it runs as
 * @param servers its servers, in the order they were started
 */
public record NodeView(long pid, String user, List<ServerView> servers) {

    public NodeView {
        servers = List.copyOf(servers);
    }
}
