package org.stapfarm.protocol;

/**
 * Bounds on what a single request may cost the server before any translator runs. The reference server's
 * defaults (5000 compressed, 50000 uncompressed bytes) are too small for requests carrying tapsets, so the
 * values are left to configuration.
 *
 * @param maxCompressedBytes   largest accepted request zip, as received
 * @param maxUncompressedBytes largest accepted total of all entries once inflated
 * @param maxEntries           largest accepted number of zip entries, directories included
 */
public record RequestLimits(long maxCompressedBytes, long maxUncompressedBytes, int maxEntries) {

    public RequestLimits {
        if (maxCompressedBytes <= 0 || maxUncompressedBytes <= 0 || maxEntries <= 0) {
            throw new IllegalArgumentException("request limits must be positive: " + maxCompressedBytes + ", "
                    + maxUncompressedBytes + ", " + maxEntries);
        }
    }
}
