package org.stapfarm.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateDatabasePermissionsTest {

    @TempDir
    Path tmp;

    private Path database(String directoryMode, String fileMode) throws IOException {
        Path directory = Files.createDirectory(tmp.resolve("db"));
        for (String name : List.of("cert9.db", "key4.db", "pkcs11.txt")) {
            Files.write(directory.resolve(name), new byte[] {1});
            Files.setPosixFilePermissions(directory.resolve(name), PosixFilePermissions.fromString(fileMode));
        }
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString(directoryMode));
        return directory;
    }

    private static List<String> errors(List<CertificateDatabasePermissions.Finding> findings) {
        return findings.stream().filter(CertificateDatabasePermissions.Finding::error)
                .map(CertificateDatabasePermissions.Finding::text).toList();
    }

    @Test
    void aPrivateDatabaseOfTheUserIsUsable() throws IOException {
        Path directory = database("rwx------", "rw-------");
        assertEquals(List.of(), CertificateDatabasePermissions.check(directory,
                OptionalLong.of(FilePermissions.currentUid()), false));
    }

    @Test
    void aGroupWritableDirectoryIsAnError() throws IOException {
        Path directory = database("rwxrwxr-x", "rw-r--r--");
        assertEquals(List.of("is writable by group or others (mode 0775)"),
                errors(CertificateDatabasePermissions.check(directory, OptionalLong.empty(), false)));
    }

    @Test
    void writableOrExecutableFilesAreErrors() throws IOException {
        Path directory = database("rwxr-xr-x", "rw-rw-rw-");
        Files.setPosixFilePermissions(directory.resolve("key4.db"), PosixFilePermissions.fromString("rwxr--r--"));
        List<String> errors = errors(CertificateDatabasePermissions.check(directory, OptionalLong.empty(), false));
        assertEquals(List.of("file cert9.db is writable by group or others (mode 0666)",
                "file key4.db is executable (mode 0744)",
                "file pkcs11.txt is writable by group or others (mode 0666)"), errors);
    }

    @Test
    void theWrongOwnerIsAnError() throws IOException {
        Path directory = database("rwx------", "rw-------");
        long other = FilePermissions.currentUid() + 4711;
        List<String> errors = errors(CertificateDatabasePermissions.check(directory, OptionalLong.of(other), false));
        assertEquals(4, errors.size(), errors.toString());
        assertTrue(errors.get(0).startsWith("is owned by uid " + FilePermissions.currentUid() + ", not by uid " + other),
                errors.get(0));
    }

    @Test
    void missingDatabasesAndFilesAreErrorsButTheModuleListIsOptional() throws IOException {
        assertEquals(List.of("does not exist"), errors(CertificateDatabasePermissions.check(tmp.resolve("none"),
                OptionalLong.empty(), false)));
        Path directory = database("rwx------", "rw-------");
        Files.delete(directory.resolve("pkcs11.txt"));
        Files.delete(directory.resolve("key4.db"));
        assertEquals(List.of("file key4.db does not exist"),
                errors(CertificateDatabasePermissions.check(directory, OptionalLong.empty(), false)));
    }

    /** What the stock tools leave in a database meant for everybody: `*.db` 0644, the module list 0600. */
    @Test
    void aStockSharedDatabaseIsUsableAsIs() throws IOException {
        Path directory = database("rwxr-xr-x", "rw-r--r--");
        Files.setPosixFilePermissions(directory.resolve("pkcs11.txt"), PosixFilePermissions.fromString("rw-------"));
        assertEquals(List.of(), CertificateDatabasePermissions.check(directory, OptionalLong.empty(), true));
        assertEquals(List.of(directory.resolve("cert9.db"), directory.resolve("key4.db")),
                CertificateDatabasePermissions.databaseFiles(directory));
    }

    @Test
    void aLinkIsNotFollowed() throws IOException {
        Path directory = database("rwx------", "rw-------");
        Path link = Files.createSymbolicLink(tmp.resolve("link"), directory);
        assertEquals(List.of("is a symbolic link"),
                errors(CertificateDatabasePermissions.check(link, OptionalLong.empty(), false)));
    }

    /** The global database is for everyone: not readable by others is worth a warning, not a refusal. */
    @Test
    void aSharedDatabaseOthersCannotReadIsAWarning() throws IOException {
        Path directory = database("rwx------", "rw-------");
        List<CertificateDatabasePermissions.Finding> findings = CertificateDatabasePermissions.check(directory,
                OptionalLong.empty(), true);
        assertEquals(List.of(), errors(findings));
        assertEquals(3, findings.size(), findings.toString());
        assertTrue(findings.get(0).text().startsWith("is not readable by other users (mode 0700)"));
    }
}
