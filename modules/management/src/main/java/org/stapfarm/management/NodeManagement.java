package org.stapfarm.management;

/** What a command can ask of one node; {@link ManagementClient} asks it over the loopback API. */
public interface NodeManagement {

    /** The node and its servers. */
    NodeView node() throws ManagementException;

    /** Stops, then starts, servers as one change; see {@link ChangeRequest}. */
    ChangeReport change(ChangeRequest change) throws ManagementException;
}
