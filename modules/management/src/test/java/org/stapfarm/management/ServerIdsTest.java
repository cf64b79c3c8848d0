package org.stapfarm.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ServerIdsTest {

    /** Linux's largest possible pid (PID_MAX_LIMIT on 64-bit). */
    private static final long PID_MAX_LIMIT = 4_194_304;

    @Test
    void anIdNamesItsNodeAndIsNeverAPid() {
        long id = ServerIds.of(4321, 3);
        assertEquals(30_004_321L, id);
        assertEquals(4321, ServerIds.nodePid(id));
        assertTrue(id > PID_MAX_LIMIT);
        assertTrue(ServerIds.of(PID_MAX_LIMIT, 1) > PID_MAX_LIMIT);
    }

    @Test
    void idsOfOneNodeAndOfDifferentNodesDiffer() {
        assertTrue(ServerIds.of(100, 1) != ServerIds.of(100, 2));
        assertTrue(ServerIds.of(100, 1) != ServerIds.of(101, 1));
    }

    @Test
    void recognisesIdsButNotPidsNicknamesOrJunk() {
        assertTrue(ServerIds.isId(Long.toString(ServerIds.of(77, 12))));
        assertFalse(ServerIds.isId("4321"));
        assertFalse(ServerIds.isId("lab"));
        assertFalse(ServerIds.isId("010004321"));
        assertFalse(ServerIds.isId("99999999999999999999"));
        assertFalse(ServerIds.isId(""));
    }

    @Test
    void refusesImpossibleInputs() {
        assertThrows(IllegalArgumentException.class, () -> ServerIds.of(0, 1));
        assertThrows(IllegalArgumentException.class, () -> ServerIds.of(10, 0));
    }
}
