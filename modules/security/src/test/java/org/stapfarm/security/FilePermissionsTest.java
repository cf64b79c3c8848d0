package org.stapfarm.security;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class FilePermissionsTest {

    @TempDir
    Path tmp;

    @Test
    void octalFormatsTheUsualWay() {
        assertEquals("0000", FilePermissions.octal(PosixFilePermissions.fromString("---------")));
        assertEquals("0600", FilePermissions.octal(FilePermissions.OWNER_ONLY_FILE));
        assertEquals("0644", FilePermissions.octal(FilePermissions.PUBLIC_FILE));
        assertEquals("0700", FilePermissions.octal(FilePermissions.OWNER_ONLY_DIRECTORY));
        assertEquals("0751", FilePermissions.octal(PosixFilePermissions.fromString("rwxr-x--x")));
        assertEquals("0777", FilePermissions.octal(PosixFilePermissions.fromString("rwxrwxrwx")));
    }

    @Test
    void createsMissingDirectoriesOwnerOnly() throws IOException {
        Path dir = tmp.resolve("a/b/c");
        FilePermissions.createPrivateDirectories(dir);
        for (Path p = dir; !p.equals(tmp); p = p.getParent()) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), p.toString());
        }
        assertDoesNotThrow(() -> FilePermissions.requireSafeDirectory(dir));
    }

    @Test
    void aReadOnlyForOthersDirectoryIsSafe() throws IOException {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertDoesNotThrow(() -> FilePermissions.requireSafeDirectory(tmp));
    }

    @Test
    void refusesADirectoryWritableByOthers() throws IOException {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
        UnsafeFileException e = assertThrows(UnsafeFileException.class, () -> FilePermissions.requireSafeDirectory(tmp));
        assertEquals(tmp + " is writable by group or others (mode 0777): chmod go-w it", e.getMessage());
    }

    @Test
    void refusesAFileWhereADirectoryIsExpected() throws IOException {
        Path file = Files.createFile(tmp.resolve("f"));
        UnsafeFileException e = assertThrows(UnsafeFileException.class, () -> FilePermissions.requireSafeDirectory(file));
        assertEquals(file + " is not a directory", e.getMessage());
    }

    @Test
    void refusesADirectoryWhereAFileIsExpected() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("d"));
        UnsafeFileException e = assertThrows(UnsafeFileException.class, () -> FilePermissions.requireSafeFile(dir));
        assertEquals(dir + " is not a regular file", e.getMessage());
    }

    @Test
    void refusesSymbolicLinksEvenToSafeFiles() throws IOException {
        Path target = Files.createFile(tmp.resolve("target"), PosixFilePermissions.asFileAttribute(FilePermissions.OWNER_ONLY_FILE));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), target);
        assertDoesNotThrow(() -> FilePermissions.requirePrivateFile(target));
        UnsafeFileException e = assertThrows(UnsafeFileException.class, () -> FilePermissions.requirePrivateFile(link));
        assertEquals(link + " is a symbolic link; refusing to use it", e.getMessage());
        assertThrows(UnsafeFileException.class, () -> FilePermissions.requireSafeDirectory(
                Files.createSymbolicLink(tmp.resolve("dirlink"), tmp)));
    }

    @Test
    void aPrivateFileMustNotBeReadableByOthers() throws IOException {
        Path file = Files.createFile(tmp.resolve("key"));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        assertDoesNotThrow(() -> FilePermissions.requireSafeFile(file));
        UnsafeFileException e = assertThrows(UnsafeFileException.class, () -> FilePermissions.requirePrivateFile(file));
        assertTrue(e.getMessage().startsWith(file + " is accessible by group or others (mode 0640)"), e.getMessage());
    }

    @Test
    void refusesFilesOfOtherUsers() throws Exception {
        assumeTrue(FilePermissions.currentUid() == 0, "only root can give files away");
        Path file = Files.createFile(tmp.resolve("foreign"));
        Files.setAttribute(file, "unix:uid", 65534);
        UnsafeFileException e = assertThrows(UnsafeFileException.class, () -> FilePermissions.requireSafeFile(file));
        assertTrue(e.getMessage().startsWith(file + " is owned by "), e.getMessage());
        assertTrue(e.getMessage().endsWith("(uid 65534), not by the current user (uid 0)"), e.getMessage());
    }
}
