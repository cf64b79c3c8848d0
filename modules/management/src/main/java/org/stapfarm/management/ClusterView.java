package org.stapfarm.management;

import java.util.List;

/**
 * The cluster as one node sees it: every member, with the servers of each member that answered.
 *
 * @param members every member the node knows, reachable or not, in the cluster's address order
 */
public record ClusterView(List<Member> members) {

    public ClusterView {
        members = List.copyOf(members);
    }

    /**
     * One member of the cluster.
     *
     * @param address   its cluster address, `host:port`
     * @param host      its host name (`uname -n`); empty when it did not answer
     * @param self      whether it is the node that was asked
     * @param reachable false while the cluster has lost contact with it
     * @param node      its node and servers; null when it did not answer: unreachable, too slow, or not (yet)
     *                  known to the asked node as a stapfarm node
     */
    public record Member(String address, String host, boolean self, boolean reachable, NodeView node) {
    }
}
