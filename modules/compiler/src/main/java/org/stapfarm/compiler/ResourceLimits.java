package org.stapfarm.compiler;

import java.util.ArrayList;
import java.util.List;

/**
 * Operating-system resource limits for one translator run and everything it starts (make, gcc, ld).
 * A value of 0 leaves the limit the server itself runs with.
 *
 * @param cpuSeconds        CPU time per process; the kernel counts it per process, so each gcc gets
 *                          its own allowance and the wall-clock timeout bounds the run as a whole
 * @param fileSizeBytes     largest file any process may write, including the translator's stdout and
 *                          stderr, which is what stops a translator that floods its output
 * @param addressSpaceBytes virtual memory per process
 * @param processes         RLIMIT_NPROC; the kernel counts every process of the server user, not just
 *                          this run's, so any value is shared with the server and all concurrent
 *                          compiles, which is why the default leaves it alone
 */
public record ResourceLimits(long cpuSeconds, long fileSizeBytes, long addressSpaceBytes, long processes) {


    // Past the soft CPU limit the kernel sends SIGXCPU, which we can name; only a process that survives
    // it is killed at the hard limit, with a SIGKILL that could mean anything.
    private static final long CPU_GRACE_SECONDS = 5;

    public ResourceLimits {
        if (cpuSeconds < 0 || fileSizeBytes < 0 || addressSpaceBytes < 0 || processes < 0) {
            throw new IllegalArgumentException("resource limits must not be negative");
        }
    }

    /**
     * `prlimit ... --`, to put in front of the translator's command. Java cannot set rlimits on a child
     * process, but prlimit sets them on itself and then execs the command, so the translator keeps
     * prlimit's pid (our timeout and kill logic see the real process) and gcc and make inherit them.
     * Core dumps are always off: a crashing translator would otherwise write cores into the request
     * directory.
     */
    List<String> commandPrefix() {
        List<String> prefix = new ArrayList<>(List.of("prlimit", "--core=0"));
        if (cpuSeconds > 0) {
            prefix.add("--cpu=" + cpuSeconds + ":" + (cpuSeconds + CPU_GRACE_SECONDS));
        }
        if (fileSizeBytes > 0) {
            prefix.add("--fsize=" + fileSizeBytes);
        }
        if (addressSpaceBytes > 0) {
            prefix.add("--as=" + addressSpaceBytes);
        }
        if (processes > 0) {
            prefix.add("--nproc=" + processes);
        }
        prefix.add("--");
        return prefix;
    }
}
