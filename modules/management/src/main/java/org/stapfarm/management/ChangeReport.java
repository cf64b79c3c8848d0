package org.stapfarm.management;

import java.util.List;

/** What a {@link ChangeRequest} did, one entry per requested stop and start, in request order. */
public record ChangeReport(List<Stopped> stopped, List<Started> started) {

    public ChangeReport {
        stopped = List.copyOf(stopped);
        started = List.copyOf(started);
    }

    /**
     * @param id    the server asked to stop
     * @param error empty when it stopped (or was not running); otherwise why not
     */
    public record Stopped(long id, String error) {
        public boolean ok() {
            return error.isEmpty();
        }
    }

    /**
     * @param server the server, when it started and listens
     * @param error  empty when it started; otherwise why not, meant for the user
     */
    public record Started(ServerView server, String error) {
        public boolean ok() {
            return error.isEmpty();
        }
    }
}
