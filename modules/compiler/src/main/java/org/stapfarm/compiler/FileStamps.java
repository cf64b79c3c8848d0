package org.stapfarm.compiler;

import java.io.IOException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.EnumSet;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Size-and-mtime stamps of files, cheap enough to take on every request. Package managers replace
 * files rather than editing them in place, so an upgraded header package, tapset or translator shows
 * up as a new stamp without reading any content.
 */
final class FileStamps {

    private static final String ABSENT = "absent";

    private FileStamps() {
    }

    /** `size:mtime-ns` of {@code file} (links followed, as the translator follows them), or `absent`. */
    static String of(Path file) throws IOException {
        try {
            return of(Files.readAttributes(file, BasicFileAttributes.class));
        } catch (NoSuchFileException e) {
            return ABSENT;
        }
    }

    /**
     * Stamps of everything under {@code dir} by relative path, sorted so the result does not depend on
     * directory order. Links are followed because the translator reads through them; a loop is recorded
     * rather than fatal.
     */
    static Map<String, String> ofTree(Path dir) throws IOException {
        Map<String, String> stamps = new TreeMap<>();
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            stamps.put("", ABSENT);
            return stamps;
        }
        Files.walkFileTree(dir, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attributes) {
                        stamps.put(dir.relativize(d) + "/", of(attributes));
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                        stamps.put(dir.relativize(file).toString(), of(attributes));
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) {
                        stamps.put(dir.relativize(file).toString(),
                                e instanceof FileSystemLoopException ? "loop" : "unreadable");
                        return FileVisitResult.CONTINUE;
                    }
                });
        return stamps;
    }

    private static String of(BasicFileAttributes attributes) {
        return attributes.size() + ":" + attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS);
    }
}
