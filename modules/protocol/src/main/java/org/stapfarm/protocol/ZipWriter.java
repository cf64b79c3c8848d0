package org.stapfarm.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a compile-server zip in memory the way Info-ZIP's `zip -r` lays out a directory: every file is
 * preceded by entries for the directories it lies in, each directory listed once. Both ends unpack with
 * tools (Info-ZIP `unzip`, {@link ZipArchive}) that accept this layout.
 */
final class ZipWriter {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final ZipOutputStream zip = new ZipOutputStream(bytes);
    private final Set<String> directories = new HashSet<>();

    /** Adds {@code path} (a plain relative path, see {@link EntryPaths}) after any directories not yet written. */
    void file(String path, byte[] content) {
        for (String directory : EntryPaths.ancestors(path)) {
            directory(directory);
        }
        try {
            zip.putNextEntry(new ZipEntry(path));
            zip.write(content);
            zip.closeEntry();
        } catch (IOException e) {
            throw inMemory(e);
        }
    }

    /** Adds a directory entry unless it was written already; {@code path} without the trailing slash. */
    void directory(String path) {
        if (!directories.add(path)) {
            return;
        }
        try {
            zip.putNextEntry(new ZipEntry(path + "/"));
            zip.closeEntry();
        } catch (IOException e) {
            throw inMemory(e);
        }
    }

    byte[] finish() {
        try {
            zip.close();
        } catch (IOException e) {
            throw inMemory(e);
        }
        return bytes.toByteArray();
    }

    private static UncheckedIOException inMemory(IOException e) {
        return new UncheckedIOException("writing to memory cannot fail", e);
    }
}
