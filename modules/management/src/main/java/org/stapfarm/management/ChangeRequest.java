package org.stapfarm.management;

import java.util.List;

/**
 * One change to a node's servers, carried out in order: the servers in {@code stop} are drained (requests
 * they accepted are answered) and stopped, then those in {@code start} are started. `restart`,
 * `force-reload` and friends are one change, so the node does not exit between the two halves.
 */
public record ChangeRequest(List<Long> stop, List<StartRequest> start) {

    public ChangeRequest {
        stop = List.copyOf(stop);
        start = List.copyOf(start);
    }

    public static ChangeRequest starting(StartRequest request) {
        return new ChangeRequest(List.of(), List.of(request));
    }

    public static ChangeRequest stopping(long id) {
        return new ChangeRequest(List.of(id), List.of());
    }
}
