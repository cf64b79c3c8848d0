package org.stapfarm.management;

/** What a command can ask of one node; {@link ManagementClient} asks it over the loopback API. */
public interface NodeManagement {

    /** The node and its servers. */
    NodeView node() throws ManagementException;

    /** Every member of the node's cluster and their servers; see {@link ClusterView}. */
    ClusterView cluster() throws ManagementException;

    /** Stops, then starts, servers as one change; see {@link ChangeRequest}. */
    ChangeReport change(ChangeRequest change) throws ManagementException;
}
