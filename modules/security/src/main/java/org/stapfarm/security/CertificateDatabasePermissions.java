package org.stapfarm.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

import static java.nio.file.attribute.PosixFilePermission.GROUP_EXECUTE;
import static java.nio.file.attribute.PosixFilePermission.GROUP_READ;
import static java.nio.file.attribute.PosixFilePermission.GROUP_WRITE;
import static java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE;
import static java.nio.file.attribute.PosixFilePermission.OTHERS_READ;
import static java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE;
import static java.nio.file.attribute.PosixFilePermission.OWNER_EXECUTE;

/**
 * Whether a client may rely on an NSS certificate database directory to decide which servers it trusts
 * (management-tools section 4.4): anyone who can replace the database can make the client trust any server.
 *
 * <p>Errors make the database unusable: it is missing or not a directory, a symbolic link, owned by someone
 * other than the expected owner, unreadable, or writable by group or others; or one of its database files
 * is missing, not a regular file, owned by someone else, unreadable, executable or writable by group or
 * others. The files checked are those of NSS's SQLite format (`cert9.db`, `key4.db`, and `pkcs11.txt` when
 * present), which every current NSS writes, not the legacy `cert8.db`, `key3.db` and `secmod.db` of the
 * 2009 tools. `pkcs11.txt` names the PKCS#11 modules NSS loads, so it must not be writable by others, but
 * NSS reads a database without it, so it need not be readable. The only warning: a database meant for all
 * users whose directory or certificate and key files other users cannot read.
 */
public final class CertificateDatabasePermissions {

    /** One thing found, as a sentence about the database for the user. */
    public record Finding(boolean error, String text) {
    }

    /** Files every NSS SQLite database has. */
    private static final List<String> REQUIRED_FILES = List.of("cert9.db", "key4.db");
    /** Written by certutil as well, but NSS can do without it. */
    private static final String MODULE_FILE = "pkcs11.txt";

    private static final Set<PosixFilePermission> WRITABLE_BY_OTHERS = EnumSet.of(GROUP_WRITE, OTHERS_WRITE);
    private static final Set<PosixFilePermission> EXECUTABLE = EnumSet.of(OWNER_EXECUTE, GROUP_EXECUTE, OTHERS_EXECUTE);

    private CertificateDatabasePermissions() {
    }

    /**
     * The certificate and key database files of a database directory (those that exist): what other users
     * must be able to read in a database meant for all of them. The module list `pkcs11.txt` is not among
     * them; NSS opens a database read-only without reading it, and the stock tools leave it 0600.
     */
    public static List<Path> databaseFiles(Path directory) {
        List<Path> files = new ArrayList<>();
        for (String name : REQUIRED_FILES) {
            Path file = directory.resolve(name);
            if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                files.add(file);
            }
        }
        return files;
    }

    /**
     * @param expectedOwner the uid that must own the directory and its files; empty when anyone may (a
     *                      database named on the command line)
     * @param shared        whether the database is meant for every user of the host
     * @return what was found, errors and warnings in the order checked; no error means usable
     */
    public static List<Finding> check(Path directory, OptionalLong expectedOwner, boolean shared) throws IOException {
        List<Finding> findings = checkDirectory(directory, expectedOwner, shared);
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
            return findings;
        }
        for (String name : allFiles()) {
            checkFile(directory.resolve(name), !name.equals(MODULE_FILE), expectedOwner, shared, findings);
        }
        return findings;
    }

    /**
     * The checks of the directory itself, without its files: what must hold before a database is created in
     * it.
     */
    public static List<Finding> checkDirectory(Path directory, OptionalLong expectedOwner, boolean shared)
            throws IOException {
        List<Finding> findings = new ArrayList<>();
        PosixFileAttributes attributes;
        try {
            attributes = Files.readAttributes(directory, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            findings.add(new Finding(true, "does not exist"));
            return findings;
        }
        if (attributes.isSymbolicLink()) {
            findings.add(new Finding(true, "is a symbolic link"));
            return findings;
        }
        if (!attributes.isDirectory()) {
            findings.add(new Finding(true, "is not a directory"));
            return findings;
        }
        owner(directory, "", expectedOwner, findings);
        if (!Files.isReadable(directory) || !Files.isExecutable(directory)) {
            findings.add(new Finding(true, "is not readable"));
        }
        notWritableByOthers(attributes, "", findings);
        if (shared && !attributes.permissions().containsAll(EnumSet.of(GROUP_READ, GROUP_EXECUTE, OTHERS_READ, OTHERS_EXECUTE))) {
            findings.add(new Finding(false, "is not readable by other users (mode "
                    + FilePermissions.octal(attributes.permissions()) + "), whom it is meant for"));
        }
        return findings;
    }

    /**
     * The checks of a database file for one more file of the directory that may be missing, such as a trust
     * store kept beside the NSS files: when it exists, the rules of `cert9.db` apply.
     */
    public static List<Finding> checkOptionalFile(Path file, OptionalLong expectedOwner, boolean shared)
            throws IOException {
        List<Finding> findings = new ArrayList<>();
        checkFile(file, false, expectedOwner, shared, findings);
        return findings;
    }

    private static void checkFile(Path file, boolean required, OptionalLong expectedOwner, boolean shared,
                                  List<Finding> findings) throws IOException {
        String subject = "file " + file.getFileName() + " ";
        PosixFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            if (required) {
                findings.add(new Finding(true, subject + "does not exist"));
            }
            return;
        }
        if (!attributes.isRegularFile()) {
            findings.add(new Finding(true, subject + "is not a regular file"));
            return;
        }
        owner(file, subject, expectedOwner, findings);
        boolean moduleList = file.getFileName().toString().equals(MODULE_FILE);
        if (!moduleList && !Files.isReadable(file)) {
            findings.add(new Finding(true, subject + "is not readable"));
        }
        if (!Collections.disjoint(attributes.permissions(), EXECUTABLE)) {
            findings.add(new Finding(true, subject + "is executable (mode " + FilePermissions.octal(attributes.permissions())
                    + ")"));
        }
        notWritableByOthers(attributes, subject, findings);
        if (shared && !moduleList && !attributes.permissions().containsAll(EnumSet.of(GROUP_READ, OTHERS_READ))) {
            findings.add(new Finding(false, subject + "is not readable by other users (mode "
                    + FilePermissions.octal(attributes.permissions()) + "), whom it is meant for"));
        }
    }

    private static void owner(Path path, String subject, OptionalLong expectedOwner, List<Finding> findings)
            throws IOException {
        if (expectedOwner.isEmpty()) {
            return;
        }
        long uid = ((Number) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
        if (uid != expectedOwner.getAsLong()) {
            findings.add(new Finding(true, subject + "is owned by uid " + uid + ", not by uid " + expectedOwner.getAsLong()));
        }
    }

    private static void notWritableByOthers(PosixFileAttributes attributes, String subject, List<Finding> findings) {
        if (!Collections.disjoint(attributes.permissions(), WRITABLE_BY_OTHERS)) {
            findings.add(new Finding(true, subject + "is writable by group or others (mode "
                    + FilePermissions.octal(attributes.permissions()) + ")"));
        }
    }

    private static List<String> allFiles() {
        List<String> names = new ArrayList<>(REQUIRED_FILES);
        names.add(MODULE_FILE);
        return names;
    }
}
