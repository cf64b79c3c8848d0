package org.stapfarm.compiler;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stapfarm.protocol.RequestFile;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;

/**
 * The private directory tree of one request, laid out as the reference server's (protocol spec 4.1):
 * `stap-server.XXXXXX/` (0700) with `request/` (the client's files, the translator's working directory),
 * `response/stdout`, `response/stderr` and `response/stap000000/` (the translator's `--tmpdir`).
 */
final class RequestWorkspace {

    private static final Logger LOG = LoggerFactory.getLogger(RequestWorkspace.class);
    private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_DIRECTORY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private final Path root;

    private RequestWorkspace(Path root) {
        this.root = root;
    }

    /** Makes a fresh tree under {@code temporaryRoot}, which must be an absolute real path. */
    static RequestWorkspace create(Path temporaryRoot) throws IOException {
        RequestWorkspace workspace =
                new RequestWorkspace(Files.createTempDirectory(temporaryRoot, "stap-server.", PRIVATE_DIRECTORY));
        Files.createDirectory(workspace.requestDirectory(), PRIVATE_DIRECTORY);
        Files.createDirectory(workspace.responseDirectory(), PRIVATE_DIRECTORY);
        Files.createDirectory(workspace.moduleDirectory(), PRIVATE_DIRECTORY);
        // Created here so they are private from the start; the process redirects only truncate or append.
        Files.createFile(workspace.stdout(), PRIVATE_FILE);
        Files.createFile(workspace.stderr(), PRIVATE_FILE);
        return workspace;
    }

    Path root() {
        return root;
    }

    Path requestDirectory() {
        return root.resolve("request");
    }

    Path responseDirectory() {
        return root.resolve("response");
    }

    Path moduleDirectory() {
        return responseDirectory().resolve("stap000000");
    }

    Path stdout() {
        return responseDirectory().resolve("stdout");
    }

    Path stderr() {
        return responseDirectory().resolve("stderr");
    }

    /**
     * Writes a client file at its relative path under `request/`. The codec already refuses unsafe names;
     * checking again here keeps a codec bug from writing outside the request.
     *
     * @throws InvalidPathException if the path is absolute, empty or leaves `request/`
     */
    void write(RequestFile file) throws IOException {
        Path base = requestDirectory();
        Path target = base.resolve(file.path()).normalize();
        if (!target.startsWith(base) || target.equals(base)) {
            throw new InvalidPathException(file.path(), "not a path inside the request");
        }
        createPrivateDirectories(base, target.getParent());
        Files.write(target, file.content(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Removes the whole tree. Links are deleted, never followed, so a link the translator or a script made
     * cannot lead the deletion elsewhere. Failures are logged: the reply has been built by now.
     */
    void delete() {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
                    // A directory left without owner write permission could not be emptied otherwise.
                    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    if (e != null) {
                        throw e;
                    }
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.warn("Could not remove temporary directory {}: {}", root, e.toString());
        }
    }

    private static void createPrivateDirectories(Path base, Path dir) throws IOException {
        Deque<Path> missing = new ArrayDeque<>();
        for (Path d = dir; !d.equals(base) && !Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS); d = d.getParent()) {
            missing.push(d);
        }
        while (!missing.isEmpty()) {
            Files.createDirectory(missing.pop(), PRIVATE_DIRECTORY);
        }
    }
}
