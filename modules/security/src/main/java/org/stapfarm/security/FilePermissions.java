package org.stapfarm.security;

import com.sun.security.auth.module.UnixSystem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

import static java.nio.file.attribute.PosixFilePermission.GROUP_EXECUTE;
import static java.nio.file.attribute.PosixFilePermission.GROUP_READ;
import static java.nio.file.attribute.PosixFilePermission.GROUP_WRITE;
import static java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE;
import static java.nio.file.attribute.PosixFilePermission.OTHERS_READ;
import static java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE;

/**
 * Ownership and permission checks for directories and files that hold keys or trust decisions.
 * Nothing here follows symbolic links: a link is refused, so the checked object is the one used.
 * Ownership is compared by numeric uid (names can be ambiguous or missing).
 */
public final class FilePermissions {

    /** {@code rwx------}: what we create directories with. */
    public static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    /** {@code rw-------}: private keys and databases. */
    public static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    /** {@code rw-r--r--}: certificates, which anyone may read. */
    public static final Set<PosixFilePermission> PUBLIC_FILE = PosixFilePermissions.fromString("rw-r--r--");

    private static final Set<PosixFilePermission> WRITABLE_BY_OTHERS = EnumSet.of(GROUP_WRITE, OTHERS_WRITE);
    private static final Set<PosixFilePermission> ANY_ACCESS_BY_OTHERS =
            EnumSet.of(GROUP_READ, GROUP_WRITE, GROUP_EXECUTE, OTHERS_READ, OTHERS_WRITE, OTHERS_EXECUTE);

    private FilePermissions() {
    }

    /**
     * Requires {@code dir} to be a directory (not a link to one) owned by the current user and writable
     * by nobody else, so that nobody else can replace the files in it.
     */
    public static void requireSafeDirectory(Path dir) throws IOException {
        PosixFileAttributes attributes = ownAttributes(dir);
        if (!attributes.isDirectory()) {
            throw new UnsafeFileException(dir + " is not a directory");
        }
        requireNotWritableByOthers(dir, attributes);
    }

    /**
     * Requires {@code file} to be a regular file (not a link) owned by the current user and writable by
     * nobody else.
     */
    public static void requireSafeFile(Path file) throws IOException {
        PosixFileAttributes attributes = regularFileAttributes(file);
        requireNotWritableByOthers(file, attributes);
    }

    /**
     * Requires {@code file} to be a regular file (not a link) owned by the current user that group and
     * others cannot access at all: it holds a secret.
     */
    public static void requirePrivateFile(Path file) throws IOException {
        PosixFileAttributes attributes = regularFileAttributes(file);
        if (!Collections.disjoint(attributes.permissions(), ANY_ACCESS_BY_OTHERS)) {
            throw new UnsafeFileException(file + " is accessible by group or others (mode "
                    + octal(attributes.permissions()) + "); it holds a private key: chmod 600 it");
        }
    }

    /**
     * Creates {@code dir} and any missing parents with {@link #OWNER_ONLY_DIRECTORY}; existing
     * directories are left as they are.
     */
    public static void createPrivateDirectories(Path dir) throws IOException {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY));
    }

    /** The permissions as the usual four octal digits, e.g. {@code 0644}. */
    public static String octal(Set<PosixFilePermission> permissions) {
        int mode = 0;
        for (PosixFilePermission permission : permissions) {
            // The enum lists OWNER_READ .. OTHERS_EXECUTE, i.e. from bit 8 down to bit 0.
            mode |= 1 << (8 - permission.ordinal());
        }
        return String.format("0%03o", mode);
    }

    /** The uid of this process (real and effective are the same: the JVM is never set-uid). */
    public static long currentUid() {
        return new UnixSystem().getUid();
    }

    private static PosixFileAttributes regularFileAttributes(Path file) throws IOException {
        PosixFileAttributes attributes = ownAttributes(file);
        if (!attributes.isRegularFile()) {
            throw new UnsafeFileException(file + " is not a regular file");
        }
        return attributes;
    }

    /** Attributes of {@code path} itself after checking that it is no link and belongs to us. */
    private static PosixFileAttributes ownAttributes(Path path) throws IOException {
        PosixFileAttributes attributes = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (attributes.isSymbolicLink()) {
            throw new UnsafeFileException(path + " is a symbolic link; refusing to use it");
        }
        long uid = ((Number) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
        long currentUid = currentUid();
        if (uid != currentUid) {
            throw new UnsafeFileException(path + " is owned by " + attributes.owner().getName()
                    + " (uid " + uid + "), not by the current user (uid " + currentUid + ")");
        }
        return attributes;
    }

    private static void requireNotWritableByOthers(Path path, PosixFileAttributes attributes) throws UnsafeFileException {
        if (!Collections.disjoint(attributes.permissions(), WRITABLE_BY_OTHERS)) {
            throw new UnsafeFileException(path + " is writable by group or others (mode "
                    + octal(attributes.permissions()) + "): chmod go-w it");
        }
    }
}
