package org.stapfarm.management;

/**
 * Server ids: `sequence × 10^7 + node pid`. Linux pids stay below 2^22 (about 4.2 million), so an id is
 * never the pid of a live process, and `kill $(stap-start-server)` in an old script cannot hit a
 * stranger; ids of live nodes never collide on one host; and a command finds the node of an id from the
 * id alone.
 */
public final class ServerIds {

    private static final long PID_RANGE = 10_000_000L;

    private ServerIds() {
    }

    /** The id of the {@code sequence}-th server (from 1) started by the node with pid {@code nodePid}. */
    public static long of(long nodePid, long sequence) {
        if (nodePid <= 0 || nodePid >= PID_RANGE || sequence < 1) {
            throw new IllegalArgumentException("no server id for pid " + nodePid + ", sequence " + sequence);
        }
        return sequence * PID_RANGE + nodePid;
    }

    public static long nodePid(long id) {
        return id % PID_RANGE;
    }

    /** Whether {@code text} has the form of a server id. */
    public static boolean isId(String text) {
        if (!text.matches("[1-9][0-9]{7,18}")) {
            return false;
        }
        try {
            return Long.parseLong(text) >= PID_RANGE;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
