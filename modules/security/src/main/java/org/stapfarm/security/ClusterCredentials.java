package org.stapfarm.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a node presents to and expects of its cluster peers (Artery over mutual TLS, dependencies.md P11):
 * files for {@code pekko.remote.artery.ssl.config-ssl-engine}.
 *
 * <p>The directory's layout:
 * <pre>
 *   DIR/            0700 when we create it; must be ours and not writable by others
 *   DIR/node.p12    0600  PKCS#12: the node's key and its chain [node certificate, CA certificate], alias {@code node}
 *   DIR/trust.p12   0600  PKCS#12: the CA certificate as the only trusted entry, alias {@code ca}
 *   DIR/password    0600  one line: the password of both stores and of the key
 * </pre>
 * The three files are written together ({@link KeyFiles#writeTogether}) and read as one set: a set whose
 * files do not fit together (an interrupted copy, files from two issues) is refused, never used.
 *
 * @param keyStore   {@code node.p12}: {@code key-store}
 * @param trustStore {@code trust.p12}: {@code trust-store}
 * @param password   of both stores and of the key: {@code key-store-password}, {@code key-password} and
 *                   {@code trust-store-password}
 */
public record ClusterCredentials(Path keyStore, Path trustStore, String password) {

    public static final String KEY_STORE = "node.p12", TRUST_STORE = "trust.p12", PASSWORD_FILE = "password";
    public static final String KEY_ALIAS = "node";
    public static final String TRUST_ALIAS = "ca";

    private static final List<String> FILES = List.of(KEY_STORE, TRUST_STORE, PASSWORD_FILE);

    public ClusterCredentials {
        Objects.requireNonNull(keyStore, "keyStore");
        Objects.requireNonNull(trustStore, "trustStore");
        Objects.requireNonNull(password, "password");
    }

    /**
     * Where a node looks for its credentials unless configured otherwise:
     * {@code <SystemTap directory>/stapfarm/cluster}.
     */
    public static Path defaultDirectory(Path systemtapDirectory) {
        return systemtapDirectory.resolve("stapfarm").resolve("cluster");
    }

    /**
     * The credentials in {@code directory}, checked: empty when the directory does not exist or has none of
     * the three files.
     *
     * @throws ClusterCredentialsException when only some of the files are there; when the directory is not
     *         ours or writable by others, or a file is a link, not ours or accessible by group or others; when
     *         a file cannot be read or parsed, or does not open with the password; when the node certificate
     *         was not issued by the CA in trust.p12, its key does not belong to it, or it is not valid now
     */
    public static Optional<ClusterCredentials> find(Path directory) throws IOException, ClusterCredentialsException {
        if (!Files.exists(directory)) {
            return Optional.empty();
        }
        Path dir = CredentialFiles.checkedDirectory(directory);
        List<String> present = CredentialFiles.present(dir, FILES);
        if (present.isEmpty()) {
            return Optional.empty();
        }
        if (present.size() < FILES.size()) {
            List<String> missing = new ArrayList<>(FILES);
            missing.removeAll(present);
            throw new ClusterCredentialsException(dir + " holds incomplete cluster credentials: "
                    + String.join(", ", missing) + " missing; issue them again (stapfarm-cluster issue --force)"
                    + " or copy the whole directory");
        }
        ClusterCredentials credentials = new ClusterCredentials(dir.resolve(KEY_STORE), dir.resolve(TRUST_STORE),
                CredentialFiles.readPassword(dir.resolve(PASSWORD_FILE)));
        NodeIdentity identity = credentials.read();
        requireValidNow(identity.certificate(), credentials.keyStore);
        return Optional.of(credentials);
    }

    /**
     * A node alone: a fresh CA whose private key is never written, and a node certificate for
     * {@code hostNames} issued by it, written to {@code directory} (created 0700 when missing; what is there
     * is replaced, atomically per file). Nobody else can get a certificate of that CA, so nobody can join.
     * The CA's subject is {@code O=stapfarm private CA}, so {@link NodeIdentity#isPrivate()} tells such a set
     * from one a cluster CA issued.
     *
     * @throws IllegalArgumentException as {@link ClusterAuthority#issue} does for unusable host names
     */
    public static ClusterCredentials createPrivate(Path directory, List<String> hostNames) throws IOException {
        Instant now = Instant.now();
        ClusterAuthority authority = ClusterAuthority.createPrivate("private CA of " + String.join(" ", hostNames),
                ClusterAuthority.DEFAULT_VALIDITY, now);
        return write(directory, authority.issue(hostNames, ClusterAuthority.DEFAULT_VALIDITY, now));
    }

    /**
     * Writes {@code identity} into {@code directory} (created 0700 when missing) with a new password,
     * replacing what is there; the three files are renamed into place only after all are written.
     *
     * @throws IllegalArgumentException when {@code directory} holds a cluster CA, whose password file this
     *                                  would replace
     */
    public static ClusterCredentials write(Path directory, NodeIdentity identity) throws IOException {
        if (Files.exists(directory.resolve(ClusterAuthority.KEY_STORE), LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException(directory + " holds a cluster CA; node credentials need a directory"
                    + " of their own");
        }
        Path dir = CredentialFiles.prepareDirectory(directory);
        String password = CredentialFiles.newPassword();
        KeyStore keys = CredentialFiles.newStore();
        KeyStore trust = CredentialFiles.newStore();
        try {
            keys.setKeyEntry(KEY_ALIAS, identity.privateKey(), password.toCharArray(),
                    new Certificate[] {identity.certificate(), identity.authority()});
            trust.setCertificateEntry(TRUST_ALIAS, identity.authority());
        } catch (GeneralSecurityException e) {
            // In-memory PKCS#12 stores take any key with its chain, and any certificate.
            throw new IllegalStateException("cannot fill the node's key stores", e);
        }
        KeyFiles.writeTogether(dir, List.of(
                CredentialFiles.storeFile(KEY_STORE, keys, password),
                CredentialFiles.storeFile(TRUST_STORE, trust, password),
                CredentialFiles.passwordFile(PASSWORD_FILE, password)));
        return new ClusterCredentials(dir.resolve(KEY_STORE), dir.resolve(TRUST_STORE), password);
    }

    /** Whether {@code directory} holds any of the three files. */
    public static boolean anyFileIn(Path directory) {
        return !CredentialFiles.present(directory, FILES).isEmpty();
    }

    /**
     * The node's key, certificate and CA, read from the stores and checked to fit together (see
     * {@link #find}); validity is not checked, so that an expired set can still be inspected.
     */
    public NodeIdentity read() throws IOException, ClusterCredentialsException {
        KeyStore.PrivateKeyEntry entry = CredentialFiles.keyEntry(CredentialFiles.load(keyStore, password), KEY_ALIAS,
                password, keyStore);
        KeyStore trust = CredentialFiles.load(trustStore, password);
        X509Certificate authority = trustedAuthority(trust);
        try {
            return new NodeIdentity(entry.getPrivateKey(), (X509Certificate) entry.getCertificate(), authority);
        } catch (IllegalArgumentException e) {
            throw new ClusterCredentialsException("the node certificate in " + keyStore + " was not issued by the CA"
                    + " in " + trustStore + " (" + authority.getSubjectX500Principal().getName() + ")", e);
        }
    }

    /** Without the password, which must not end up in a log. */
    @Override
    public String toString() {
        return "ClusterCredentials[keyStore=" + keyStore + ", trustStore=" + trustStore + "]";
    }

    private X509Certificate trustedAuthority(KeyStore trust) throws ClusterCredentialsException {
        try {
            if (trust.size() != 1 || !trust.isCertificateEntry(TRUST_ALIAS)
                    || !(trust.getCertificate(TRUST_ALIAS) instanceof X509Certificate authority)) {
                throw new ClusterCredentialsException(trustStore + " must hold exactly one entry: the cluster CA's"
                        + " certificate, trusted, named '" + TRUST_ALIAS + "'");
            }
            return authority;
        } catch (GeneralSecurityException e) {
            // Only thrown for a store that was never loaded.
            throw new IllegalStateException(e);
        }
    }

    private static void requireValidNow(X509Certificate certificate, Path file) throws ClusterCredentialsException {
        Date now = new Date();
        try {
            certificate.checkValidity(now);
        } catch (CertificateExpiredException e) {
            throw new ClusterCredentialsException("the node certificate in " + file + " expired on "
                    + certificate.getNotAfter().toInstant() + "; issue a new one (stapfarm-cluster issue --force)", e);
        } catch (CertificateNotYetValidException e) {
            throw new ClusterCredentialsException("the node certificate in " + file + " is not valid before "
                    + certificate.getNotBefore().toInstant() + "; is this host's clock right?", e);
        }
    }
}
