package org.stapfarm.security;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.UnrecoverableEntryException;
import java.security.UnrecoverableKeyException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;

/**
 * What the cluster CA's directory and a node's credentials directory have in common: a directory only its
 * user can change, PKCS#12 stores (read and written by the JDK's own provider, dependencies.md P12), and a
 * one-line password file that opens them.
 */
final class CredentialFiles {

    /** 192 bits, as hex so that the password survives shells, HOCON and environment variables unquoted. */
    private static final int PASSWORD_BYTES = 24;
    /** What the ECDSA keys that stapfarm generates sign with; used to check that a key fits its certificate. */
    static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";

    private static final SecureRandom RANDOM = new SecureRandom();

    private CredentialFiles() {
    }

    static String newPassword() {
        byte[] secret = new byte[PASSWORD_BYTES];
        RANDOM.nextBytes(secret);
        return HexFormat.of().formatHex(secret);
    }

    /**
     * Creates {@code directory} (0700, with missing parents) when it does not exist; returns its real path
     * after checking that it is ours and nobody else can change it. A link to the directory is fine.
     */
    static Path prepareDirectory(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            FilePermissions.createPrivateDirectories(directory);
        }
        Path real = directory.toRealPath();
        FilePermissions.requireSafeDirectory(real);
        return real;
    }

    /** The real path of an existing {@code directory}, checked as {@link #prepareDirectory} checks it. */
    static Path checkedDirectory(Path directory) throws IOException, ClusterCredentialsException {
        Path real = directory.toRealPath();
        try {
            FilePermissions.requireSafeDirectory(real);
        } catch (UnsafeFileException e) {
            throw new ClusterCredentialsException(e.getMessage(), e);
        }
        return real;
    }

    /** Those of {@code names} that exist in {@code directory}, links included, in the order given. */
    static List<String> present(Path directory, List<String> names) {
        return names.stream().filter(name -> Files.exists(directory.resolve(name), LinkOption.NOFOLLOW_LINKS)).toList();
    }

    /** Requires a regular file of ours that no other user can access. */
    static void requirePrivate(Path file) throws IOException, ClusterCredentialsException {
        try {
            FilePermissions.requirePrivateFile(file);
        } catch (UnsafeFileException e) {
            throw new ClusterCredentialsException(e.getMessage(), e);
        }
    }

    static KeyFiles.NewFile passwordFile(String name, String password) {
        return new KeyFiles.NewFile(name, (password + "\n").getBytes(StandardCharsets.UTF_8),
                FilePermissions.OWNER_ONLY_FILE);
    }

    /** The first line of a private password file; it must not be empty. */
    static String readPassword(Path file) throws IOException, ClusterCredentialsException {
        requirePrivate(file);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new ClusterCredentialsException(file + " is not a password file: it is not text", e);
        } catch (IOException e) {
            throw new ClusterCredentialsException(file + " cannot be read: " + IoMessages.describe(e), e);
        }
        int end = text.indexOf('\n');
        String password = end < 0 ? text : text.substring(0, end);
        if (password.isEmpty()) {
            throw new ClusterCredentialsException(file + " is empty; it should hold the password of the key stores"
                    + " beside it");
        }
        return password;
    }

    static KeyStore newStore() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            return store;
        } catch (GeneralSecurityException | IOException e) {
            // PKCS#12 is a mandatory key store type of every Java platform, and nothing is read here.
            throw new IllegalStateException("cannot create a PKCS#12 key store", e);
        }
    }

    static KeyFiles.NewFile storeFile(String name, KeyStore store, String password) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            store.store(bytes, password.toCharArray());
        } catch (GeneralSecurityException | IOException e) {
            // The store was filled in memory with keys and certificates the JDK made or parsed itself.
            throw new IllegalStateException("cannot encode a PKCS#12 key store", e);
        }
        return new KeyFiles.NewFile(name, bytes.toByteArray(), FilePermissions.OWNER_ONLY_FILE);
    }

    /** Reads a private PKCS#12 store; a wrong password and a damaged file are told apart. */
    static KeyStore load(Path file, String password) throws IOException, ClusterCredentialsException {
        requirePrivate(file);
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ClusterCredentialsException(file + " cannot be read: " + IoMessages.describe(e), e);
        }
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(new ByteArrayInputStream(content), password.toCharArray());
            return store;
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw new ClusterCredentialsException(file + " does not open with the password beside it"
                        + " (are the files from different sets?)", e);
            }
            throw new ClusterCredentialsException(file + " is not a readable PKCS#12 key store: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new ClusterCredentialsException(file + " is not a readable PKCS#12 key store: " + e.getMessage(), e);
        }
    }

    /**
     * The private key entry {@code alias} of {@code store}, read from {@code file}, with its key checked to
     * belong to its certificate.
     */
    static KeyStore.PrivateKeyEntry keyEntry(KeyStore store, String alias, String password, Path file)
            throws ClusterCredentialsException {
        KeyStore.Entry entry;
        try {
            entry = store.getEntry(alias, new KeyStore.PasswordProtection(password.toCharArray()));
        } catch (UnrecoverableEntryException e) {
            throw new ClusterCredentialsException("the key '" + alias + "' in " + file
                    + " does not open with the password of the store", e);
        } catch (GeneralSecurityException e) {
            throw new ClusterCredentialsException("the key '" + alias + "' in " + file + " cannot be read: "
                    + e.getMessage(), e);
        }
        if (!(entry instanceof KeyStore.PrivateKeyEntry keyEntry)
                || !(keyEntry.getCertificate() instanceof X509Certificate certificate)) {
            throw new ClusterCredentialsException(file + " holds no private key with an X.509 certificate named '"
                    + alias + "'");
        }
        if (!keyBelongsTo(keyEntry.getPrivateKey(), certificate)) {
            throw new ClusterCredentialsException("the key '" + alias + "' in " + file
                    + " is not an EC key that belongs to its certificate");
        }
        return keyEntry;
    }

    /** Whether a signature made with {@code key} verifies with the certificate's public key. */
    private static boolean keyBelongsTo(PrivateKey key, X509Certificate certificate) {
        if (!"EC".equals(key.getAlgorithm()) || !"EC".equals(certificate.getPublicKey().getAlgorithm())) {
            return false;
        }
        try {
            byte[] probe = new byte[32];
            RANDOM.nextBytes(probe);
            Signature signer = Signature.getInstance(SIGNATURE_ALGORITHM);
            signer.initSign(key);
            signer.update(probe);
            Signature verifier = Signature.getInstance(SIGNATURE_ALGORITHM);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signer.sign());
        } catch (GeneralSecurityException e) {
            // A key of another curve than the certificate's, say: either way they do not belong together.
            return false;
        }
    }
}
