package org.stapfarm.compiler;

import org.stapfarm.protocol.ResultFile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Reads what a translator run left behind, within a byte budget shared by all files of one result, so a
 * huge output is refused before it is held in memory.
 */
final class ResultReader {

    /** The files together exceed the budget. */
    static final class TooLarge extends Exception {
        private static final long serialVersionUID = 1L;

        TooLarge() {
            super(null, null, false, false);
        }
    }

    // Java arrays stop a little short of Integer.MAX_VALUE; one byte is kept for the overflow probe.
    private static final long LARGEST_ARRAY = Integer.MAX_VALUE - 9;

    private long remaining;

    ResultReader(long budget) {
        this.remaining = budget;
    }

    /** Reads one regular file; a link is refused rather than followed. */
    byte[] read(Path file) throws IOException, TooLarge {
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            long limit = Math.min(remaining, LARGEST_ARRAY);
            // Reading one byte past the limit tells "exactly at the limit" from "over it".
            byte[] content = in.readNBytes((int) limit + 1);
            if (content.length > limit) {
                throw new TooLarge();
            }
            remaining -= content.length;
            return content;
        }
    }

    /**
     * Every regular file under {@code dir}, by path relative to it with `/` separators, sorted. Links,
     * devices, sockets and fifos are skipped: only regular files are safe to send and to unpack.
     */
    List<ResultFile> readTree(Path dir) throws IOException, TooLarge {
        List<Path> files = new ArrayList<>();
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                if (attributes.isRegularFile()) {
                    files.add(file);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        files.sort(Comparator.naturalOrder());
        List<ResultFile> result = new ArrayList<>(files.size());
        for (Path file : files) {
            result.add(new ResultFile(relativeName(dir, file), read(file)));
        }
        return result;
    }

    private static String relativeName(Path dir, Path file) {
        StringBuilder name = new StringBuilder();
        for (Path part : dir.relativize(file)) {
            if (name.length() > 0) {
                name.append('/');
            }
            name.append(part);
        }
        return name.toString();
    }
}
