package org.stapfarm.cli.node;

import java.nio.file.Path;
import java.util.Optional;
import org.stapfarm.management.ManagementException;
import org.stapfarm.management.NodeManagement;

/** The nodes a command can reach on this host: one per user that runs compile servers. */
public interface Nodes {

    /** The node running as {@code user}, if one runs and answers. */
    Optional<NodeManagement> find(String user) throws ManagementException;

    /**
     * The node running as {@code user}, started in the background first when none runs (as that user:
     * only root may name another user). {@code logFile} receives the node's own messages.
     */
    NodeManagement findOrStart(String user, Path logFile) throws ManagementException;
}
