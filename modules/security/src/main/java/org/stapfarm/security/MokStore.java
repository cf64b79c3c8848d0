package org.stapfarm.security;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A server's machine owner keys (protocol spec 4.6): `DIR/moks/FINGERPRINT/` holding `signing_key.x509` (the
 * certificate, DER) and `signing_key.priv` (its key, unencrypted PEM), the layout of upstream's server, so
 * keys can be moved between the two. A key directory counts only when its name is a fingerprint, both files
 * can be read, and the certificate's SHA-1 fingerprint is the directory's name.
 *
 * <p>Stricter than upstream: `moks/` and each key directory must belong to the server's user and not be
 * writable by others, and a private key that others can read is refused (each problem is logged, and the
 * key is skipped). Keys are read from disk on every call, so keys an operator adds or removes count from the
 * next request on, as with upstream.
 */
public final class MokStore {

    public static final String DIRECTORY = "moks";
    public static final String CERTIFICATE_FILE = "signing_key.x509";
    public static final String KEY_FILE = "signing_key.priv";

    /** Upstream's check of fingerprints, in directory names and in requests: lowercase hex pairs. */
    public static final Pattern FINGERPRINT = Pattern.compile("[0-9a-f]{2}(:[0-9a-f]{2})+");

    private static final Logger LOG = LoggerFactory.getLogger(MokStore.class);
    private static final Object GENERATION = new Object();

    private final Path directory;
    private final int keySize;

    private MokStore(Path directory, int keySize) {
        this.directory = directory;
        this.keySize = keySize;
    }

    /** The store in `serverDirectory/moks`, where {@code serverDirectory} holds the server's own identity. */
    public static MokStore in(Path serverDirectory) {
        return new MokStore(serverDirectory.toAbsolutePath().resolve(DIRECTORY), MachineOwnerKey.KEY_SIZE);
    }

    /** Smaller keys for tests, where 4096 bits would take seconds per key. */
    MokStore withKeySize(int bits) {
        return new MokStore(directory, bits);
    }

    public Path directory() {
        return directory;
    }

    /** Every usable key, ordered by fingerprint; empty when the directory does not exist. */
    public List<MachineOwnerKey> keys() {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(checkedDirectory())) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (FINGERPRINT.matcher(name).matches() && Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                    names.add(name);
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            LOG.warn("Machine owner keys in {} are not used: {}", directory, e.getMessage());
            return List.of();
        }
        names.sort(null);
        List<MachineOwnerKey> keys = new ArrayList<>();
        for (String name : names) {
            read(name).ifPresent(keys::add);
        }
        return keys;
    }

    /** The key for the first of {@code fingerprints} the store holds, as upstream picks it. */
    public Optional<MachineOwnerKey> firstMatching(List<String> fingerprints) {
        for (String fingerprint : fingerprints) {
            if (FINGERPRINT.matcher(fingerprint).matches()) {
                Optional<MachineOwnerKey> key = read(fingerprint);
                if (key.isPresent()) {
                    return key;
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The first usable key; when there is none, a new one is generated and stored (this takes a few seconds).
     * Upstream hands this key's certificate to a client that has none of the server's keys enrolled.
     */
    public MachineOwnerKey firstOrNew() throws IOException {
        // Requests that all find no key wait for the first one's new key rather than make one each.
        synchronized (GENERATION) {
            List<MachineOwnerKey> keys = keys();
            if (!keys.isEmpty()) {
                return keys.get(0);
            }
            // Before the key is made: a directory that cannot take it should not cost seconds first.
            prepareDirectory();
            MachineOwnerKey key = MachineOwnerKey.generate(keySize, Instant.now());
            store(key);
            LOG.info("Created machine owner key {} in {}", key.fingerprint(), directory);
            return key;
        }
    }

    /**
     * Writes {@code key} into its directory, by way of a temporary directory renamed into place, so that a
     * key directory is never seen half written.
     */
    public void store(MachineOwnerKey key) throws IOException {
        prepareDirectory();
        Path temporary = Files.createTempDirectory(directory, ".new-",
                PosixFilePermissions.asFileAttribute(FilePermissions.OWNER_ONLY_DIRECTORY));
        try {
            KeyFiles.writeAtomically(temporary, KEY_FILE, KeyFiles.privateKeyPem(key.privateKey()),
                    FilePermissions.OWNER_ONLY_FILE);
            KeyFiles.writeAtomically(temporary, CERTIFICATE_FILE, Certificates.encode(key.certificate()),
                    FilePermissions.PUBLIC_FILE);
            Files.move(temporary, directory.resolve(key.fingerprint()));
            KeyFiles.syncDirectory(directory);
        } finally {
            if (Files.exists(temporary, LinkOption.NOFOLLOW_LINKS)) {
                for (String name : List.of(KEY_FILE, CERTIFICATE_FILE)) {
                    Files.deleteIfExists(temporary.resolve(name));
                }
                Files.delete(temporary);
            }
        }
    }

    private void prepareDirectory() throws IOException {
        if (!Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
            FilePermissions.createPrivateDirectories(directory);
        }
        FilePermissions.requireSafeDirectory(directory);
    }

    private Path checkedDirectory() throws IOException {
        FilePermissions.requireSafeDirectory(directory);
        return directory;
    }

    private Optional<MachineOwnerKey> read(String fingerprint) {
        Path keyDirectory = directory.resolve(fingerprint);
        if (!Files.isDirectory(keyDirectory, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        try {
            checkedDirectory();
            FilePermissions.requireSafeDirectory(keyDirectory);
            Path certificateFile = keyDirectory.resolve(CERTIFICATE_FILE);
            Path keyFile = keyDirectory.resolve(KEY_FILE);
            FilePermissions.requireSafeFile(certificateFile);
            FilePermissions.requirePrivateFile(keyFile);
            X509Certificate certificate = Certificates.decode(Files.readAllBytes(certificateFile));
            String actual = Certificates.sha1Fingerprint(certificate);
            if (!actual.equals(fingerprint)) {
                LOG.warn("Machine owner key directory {} is not used: its certificate's fingerprint is {}",
                        keyDirectory, actual);
                return Optional.empty();
            }
            PrivateKey key = KeyFiles.readPrivateKey(keyFile);
            return Optional.of(MachineOwnerKey.of(certificate, key));
        } catch (NoSuchFileException e) {
            LOG.warn("Machine owner key directory {} is not used: {} is missing", keyDirectory, e.getFile());
        } catch (IOException | CertificateException | IdentityStoreException | IllegalArgumentException e) {
            LOG.warn("Machine owner key directory {} is not used: {}", keyDirectory, e.getMessage());
        }
        return Optional.empty();
    }
}
