package org.stapfarm.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RequestLimitsTest {

    @Test
    void limitsMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new RequestLimits(0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new RequestLimits(1, -1, 1));
        assertThrows(IllegalArgumentException.class, () -> new RequestLimits(1, 1, 0));
        assertEquals(3, new RequestLimits(1, 2, 3).maxEntries());
    }
}
