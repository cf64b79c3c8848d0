package org.stapfarm.compiler;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ResourceLimitsTest {

    @Test
    void everyLimitBecomesAPrlimitOption() {
        assertEquals(List.of("prlimit", "--core=0", "--cpu=60:65", "--fsize=1000", "--as=2000", "--nproc=30", "--"),
                new ResourceLimits(60, 1000, 2000, 30).commandPrefix());
    }

    @Test
    void zeroLeavesALimitAloneAndTheDefaultsLeaveProcessesAlone() {
        assertEquals(List.of("prlimit", "--core=0", "--"), new ResourceLimits(0, 0, 0, 0).commandPrefix());
        assertEquals(0, Fixtures.LIMITS.processes());
    }

    @Test
    void negativeLimitsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ResourceLimits(-1, 0, 0, 0));
    }
}
