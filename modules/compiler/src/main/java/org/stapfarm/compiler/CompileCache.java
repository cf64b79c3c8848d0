package org.stapfarm.compiler;

import org.stapfarm.protocol.CompileResult;
import org.stapfarm.protocol.ResultFile;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Successful compile results kept in memory, least recently used evicted first, bounded by their total
 * size in bytes. Identical requests are then answered without running the translator (protocol spec 4.8);
 * per-request steps (module signing, MOK handling, `Server:` lines) stay with the caller.
 *
 * <p>Results are copied in and out: callers may build on the arrays they get without touching the entry.
 */
public final class CompileCache {

    // One entry may not crowd out most of the others.
    private static final int LARGEST_ENTRY_FRACTION = 8;

    private final long capacityBytes;
    private final Map<CompileKey, CompileResult> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long usedBytes;
    private long hits;
    private long misses;

    /** @param capacityBytes total size of the cached results; 0 disables the cache */
    public CompileCache(long capacityBytes) {
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("cache capacity must not be negative");
        }
        this.capacityBytes = capacityBytes;
    }

    public synchronized Optional<CompileResult> lookup(CompileKey key) {
        if (capacityBytes == 0) {
            return Optional.empty();
        }
        CompileResult result = entries.get(key);
        if (result == null) {
            misses++;
            return Optional.empty();
        }
        hits++;
        return Optional.of(copy(result));
    }

    /**
     * Keeps {@code result} if the translator succeeded (rc 0). Failures are not kept: a refusal, timeout or
     * limit kill says nothing about the next attempt, and a translator error is cheap to reproduce.
     */
    public synchronized void store(CompileKey key, CompileResult result) {
        long size = size(result);
        if (result.rc() != 0 || capacityBytes == 0 || size > capacityBytes / LARGEST_ENTRY_FRACTION) {
            return;
        }
        CompileResult previous = entries.put(key, copy(result));
        if (previous != null) {
            usedBytes -= size(previous);
        }
        usedBytes += size;
        Iterator<CompileResult> eldestFirst = entries.values().iterator();
        while (usedBytes > capacityBytes) {
            usedBytes -= size(eldestFirst.next());
            eldestFirst.remove();
        }
    }

    public synchronized long hits() {
        return hits;
    }

    public synchronized long misses() {
        return misses;
    }

    /** Total size of the cached results, as counted against the capacity. */
    public synchronized long usedBytes() {
        return usedBytes;
    }

    private static long size(CompileResult result) {
        long size = (long) result.stdout().length + result.stderr().length;
        for (ResultFile file : result.moduleDirectory()) {
            size += file.path().length() + file.content().length;
        }
        return size;
    }

    private static CompileResult copy(CompileResult result) {
        List<ResultFile> files = result.moduleDirectory().stream()
                .map(file -> new ResultFile(file.path(), file.content().clone()))
                .toList();
        return new CompileResult(result.rc(), result.stdout().clone(), result.stderr().clone(), files,
                result.signingKey() == null ? null : result.signingKey().clone());
    }
}
