package org.stapfarm.compiler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Kills a process together with everything it started. */
final class ProcessTree {

    private static final long EXIT_WAIT_MILLIS = 5_000;
    private static final long POLL_MILLIS = 10;

    private ProcessTree() {
    }

    /**
     * SIGKILLs {@code root} and all its descendants, then waits (briefly) until they are gone, so that the
     * request directory they write into can be removed.
     *
     * <p>The descendants are listed before anything is killed: once a parent dies its children are
     * re-parented to init and can no longer be found from {@code root}. A child forked in the moment
     * between listing and killing can escape; the translator's children (make, gcc) do not fork again
     * that quickly after a kill.
     */
    static void kill(ProcessHandle root) {
        List<ProcessHandle> tree = new ArrayList<>();
        tree.add(root);
        root.descendants().forEach(tree::add);
        tree.forEach(ProcessHandle::destroyForcibly);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(EXIT_WAIT_MILLIS);
        boolean interrupted = false;
        while (tree.stream().anyMatch(ProcessTree::running) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                // Finish the short wait: leaving the processes running would be worse than the delay.
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The JDK counts a zombie as alive, and an orphan stays a zombie until init gets round to reaping it,
     * which can take a second or more. A zombie has stopped for good, so it counts as gone here.
     */
    private static boolean running(ProcessHandle process) {
        if (!process.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
            // The state follows the command name, which is in parentheses and may itself hold ") ".
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException | IndexOutOfBoundsException e) {
            return process.isAlive();
        }
    }
}
