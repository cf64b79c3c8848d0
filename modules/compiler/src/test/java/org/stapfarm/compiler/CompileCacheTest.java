package org.stapfarm.compiler;

import org.junit.jupiter.api.Test;
import org.stapfarm.protocol.CompileResult;
import org.stapfarm.protocol.ResultFile;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CompileCacheTest {

    private static CompileKey key(int n) {
        return new CompileKey(String.format("%064x", n));
    }

    /** A successful result of exactly {@code size} bytes as the cache counts them. */
    private static CompileResult success(int size) {
        return new CompileResult(0, new byte[0], new byte[0], List.of(new ResultFile("m.ko", new byte[size - 4])), null);
    }

    @Test
    void aStoredResultIsFoundAndCounted() {
        CompileCache cache = new CompileCache(8000);
        cache.store(key(1), success(100));
        assertTrue(cache.lookup(key(1)).isPresent());
        assertTrue(cache.lookup(key(2)).isEmpty());
        assertEquals(1, cache.hits());
        assertEquals(1, cache.misses());
        assertEquals(100, cache.usedBytes());
    }

    @Test
    void theLeastRecentlyUsedResultsGoWhenTheBytesRunOut() {
        CompileCache cache = new CompileCache(8000);
        for (int n = 1; n <= 8; n++) {
            cache.store(key(n), success(1000));
        }
        cache.lookup(key(1));
        cache.store(key(9), success(1000));
        assertTrue(cache.lookup(key(1)).isPresent(), "recently used");
        assertTrue(cache.lookup(key(2)).isEmpty(), "least recently used");
        assertTrue(cache.lookup(key(3)).isPresent());
        assertEquals(8000, cache.usedBytes());
    }

    @Test
    void failuresAndOversizedResultsAreNotStored() {
        CompileCache cache = new CompileCache(8000);
        cache.store(key(1), new CompileResult(1, new byte[0], "error".getBytes(), List.of(), null));
        cache.store(key(2), CompileResult.refused("the compile exceeded the time limit of 300 seconds"));
        cache.store(key(3), success(1001));
        assertTrue(cache.lookup(key(1)).isEmpty());
        assertTrue(cache.lookup(key(2)).isEmpty());
        assertTrue(cache.lookup(key(3)).isEmpty());
        assertEquals(0, cache.usedBytes());
    }

    @Test
    void aDisabledCacheKeepsNothing() {
        CompileCache cache = new CompileCache(0);
        cache.store(key(1), success(10));
        assertTrue(cache.lookup(key(1)).isEmpty());
    }

    @Test
    void changingAResultAfterStoringOrLookingUpDoesNotChangeTheEntry() {
        CompileCache cache = new CompileCache(8000);
        CompileResult result = new CompileResult(0, "out".getBytes(), new byte[0], List.of(), null);
        cache.store(key(1), result);
        result.stdout()[0] = 'X';
        cache.lookup(key(1)).orElseThrow().stdout()[1] = 'X';
        assertArrayEquals("out".getBytes(), cache.lookup(key(1)).orElseThrow().stdout());
    }
}
