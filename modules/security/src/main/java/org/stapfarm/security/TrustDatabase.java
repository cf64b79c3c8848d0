package org.stapfarm.security;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * One directory of trusted server certificates, kept in two formats: the NSS database that the stock `stap`
 * client and `staprun` read (`cert9.db`, `key4.db`, `pkcs11.txt`, written only through NSS's `certutil`), and
 * beside it {@value #JAVA_STORE}, a PKCS#12 trust store that stapfarm's own tools read without running any
 * program (and any Java program can: `keytool -list -storepass '' -keystore ...`).
 *
 * <p>The NSS database is what counts, since the stock tools change it too (`stap --trust-servers`):
 * <ul>
 *   <li>every change made here goes to NSS first, then the Java store is rewritten from it
 *       ({@link #importFromNss});</li>
 *   <li>{@link #read} takes the Java store only while it is at least as new as `cert9.db`, so a certificate
 *       the stock tools added or revoked since counts at once;</li>
 *   <li>{@link #exportToNss} goes the other way: it stores in NSS what the Java store trusts, for a store
 *       copied from elsewhere (another host, a backup).</li>
 * </ul>
 * In the Java store, a trusted server (NSS trust `P`) has the alias `stap-server-<SHA-1>`, a trusted authority
 * (`C`) `stap-authority-<SHA-1>`. For NSS nicknames see {@link #nickname}.
 *
 * <p>Every operation first checks the directory as management-tools section 4.4 asks (see
 * {@link CertificateDatabasePermissions}), including the Java store: a database anyone else can change
 * decides nothing.
 */
public final class TrustDatabase {

    /** The Java trust store's file name. */
    public static final String JAVA_STORE = "stapfarm-trust.p12";
    /** NSS trust flags of a trusted server: a trusted peer for SSL, e-mail and object signing, as upstream stores. */
    public static final String PEER_TRUST = "P,P,P";
    private static final String AUTHORITY_TRUST = "C,C,C";
    private static final String SHARED_NICKNAME = "stap-server";
    private static final String PEER_PREFIX = SHARED_NICKNAME + "-";
    private static final String AUTHORITY_PREFIX = "stap-authority-";
    /** A trust store holds no secret: its password protects nothing, and `keytool -storepass ''` opens it. */
    private static final char[] NO_PASSWORD = new char[0];

    /** The trusted certificates, in two kinds. */
    public record Trusted(List<X509Certificate> peers, List<X509Certificate> authorities) {
        public Trusted {
            peers = List.copyOf(peers);
            authorities = List.copyOf(authorities);
        }
    }

    /** The directory cannot be used: it failed the permission checks. */
    public static final class UnusableException extends IOException {
        private static final long serialVersionUID = 1L;

        UnusableException(Path directory, List<CertificateDatabasePermissions.Finding> errors) {
            super("Certificate database '" + directory + "' " + String.join("; ", errors.stream()
                    .map(CertificateDatabasePermissions.Finding::text).toList()) + "; refusing to use it");
        }
    }

    private static final ConcurrentMap<Path, Object> MONITORS = new ConcurrentHashMap<>();

    private final Path directory;
    private final OptionalLong owner;
    private final boolean shared;
    private final NssDatabase nss;

    /**
     * @param owner  the uid that must own the directory and its files; empty when anyone may (a directory
     *               named on the command line)
     * @param shared whether every user of the host reads it: then it is created 0755 and its files are made
     *               readable by others; otherwise 0700, and nobody else learns whom its owner trusts
     */
    public TrustDatabase(Path directory, OptionalLong owner, boolean shared) {
        this.directory = directory;
        this.owner = owner;
        this.shared = shared;
        this.nss = new NssDatabase(directory);
    }

    public Path directory() {
        return directory;
    }

    /** Whether the directory exists at all (not following a link: a link is refused when checked). */
    public boolean exists() {
        return Files.exists(directory, LinkOption.NOFOLLOW_LINKS);
    }

    /** What the permission checks find, errors and warnings; no error means the database may be used. */
    public List<CertificateDatabasePermissions.Finding> check() throws IOException {
        List<CertificateDatabasePermissions.Finding> findings = new ArrayList<>(
                CertificateDatabasePermissions.check(directory, owner, shared));
        if (Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
            findings.addAll(CertificateDatabasePermissions.checkOptionalFile(directory.resolve(JAVA_STORE), owner,
                    shared));
        }
        return findings;
    }

    /** The certificates this database trusts; see the class description for which format is read. */
    public Trusted read() throws IOException {
        requireUsable();
        Path store = directory.resolve(JAVA_STORE);
        if (Files.exists(store, LinkOption.NOFOLLOW_LINKS) && !olderThanNss(store)) {
            return readJavaStore(store);
        }
        return fromNss();
    }

    /**
     * Trusts {@code certificate} as a server (NSS trust {@value #PEER_TRUST}), creating the directory and the
     * database when needed, and checks that NSS lists it so afterwards.
     */
    public void trust(X509Certificate certificate) throws IOException {
        locked(() -> {
            trustLocked(certificate);
            return null;
        });
    }

    private void trustLocked(X509Certificate certificate) throws IOException {
        prepare();
        nss.add(certificate, nickname(certificate), PEER_TRUST);
        Trusted trusted = fromNss();
        if (!trusted.peers().contains(certificate)) {
            throw new IOException("the database does not list the certificate as a trusted peer afterwards");
        }
        writeJavaStore(trusted);
    }

    /** Stops trusting {@code certificate}; false when the database did not hold it. */
    public boolean revoke(X509Certificate certificate) throws IOException {
        return locked(() -> revokeLocked(certificate));
    }

    private boolean revokeLocked(X509Certificate certificate) throws IOException {
        requireUsable();
        if (!nss.exists()) {
            return false;
        }
        boolean removed = nss.remove(certificate, nickname(certificate));
        writeJavaStore(fromNss());
        return removed;
    }

    /** Rewrites the Java store from the NSS database; returns how many certificates it holds now. */
    public int importFromNss() throws IOException {
        return locked(this::importLocked);
    }

    private int importLocked() throws IOException {
        requireUsable();
        if (!nss.exists()) {
            throw new NoSuchFileException(directory.resolve("cert9.db").toString(), null, "no NSS database");
        }
        Trusted trusted = fromNss();
        writeJavaStore(trusted);
        return trusted.peers().size() + trusted.authorities().size();
    }

    /**
     * Stores in the NSS database every certificate the Java store trusts and NSS does not (creating the
     * database when needed), then rewrites the Java store from NSS; returns how many were added.
     */
    public int exportToNss() throws IOException {
        return locked(this::exportLocked);
    }

    private int exportLocked() throws IOException {
        Path store = directory.resolve(JAVA_STORE);
        if (!Files.exists(store, LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(store.toString(), null, "no Java trust store");
        }
        prepare();
        Trusted wanted = readJavaStore(store);
        Trusted present = fromNss();
        int added = 0;
        for (X509Certificate peer : wanted.peers()) {
            if (!present.peers().contains(peer)) {
                nss.add(peer, nickname(peer), PEER_TRUST);
                added++;
            }
        }
        for (X509Certificate authority : wanted.authorities()) {
            if (!present.authorities().contains(authority)) {
                nss.add(authority, AUTHORITY_PREFIX + fingerprint(authority), AUTHORITY_TRUST);
                added++;
            }
        }
        writeJavaStore(fromNss());
        return added;
    }

    /**
     * The NSS nickname a trusted server's certificate gets. A SystemTap server certificate (subject
     * {@link ServerIdentity#SUBJECT}) is stored as `stap-server`, as upstream stores every server, because the
     * stock client finds the servers it trusts only through that nickname (protocol spec 5.4, 6.3: the
     * certificate named `stap-server` and all with its subject), and it picks servers by itself only among
     * those; NSS keeps any number of certificates under one nickname as long as they share the subject.
     * Any other certificate gets `stap-server-<SHA-1>`, since NSS refuses a second subject under one
     * nickname (management-tools 5.5 item 46).
     */
    public static String nickname(X509Certificate certificate) {
        boolean systemtapSubject = Arrays.equals(certificate.getSubjectX500Principal().getEncoded(),
                ServerIdentity.SUBJECT.getEncoded());
        return systemtapSubject ? SHARED_NICKNAME : PEER_PREFIX + fingerprint(certificate);
    }

    private static String fingerprint(X509Certificate certificate) {
        return Certificates.sha1Fingerprint(certificate).replace(":", "");
    }

    private interface Change<T> {
        T apply() throws IOException;
    }

    /**
     * Runs one change at a time per directory in this JVM: servers of one node that start together trust
     * themselves in the same database, and every change rewrites the Java store from NSS.
     */
    private <T> T locked(Change<T> change) throws IOException {
        synchronized (MONITORS.computeIfAbsent(directory.toAbsolutePath().normalize(), path -> new Object())) {
            return change.apply();
        }
    }

    private void requireUsable() throws IOException {
        if (exists()) {
            requireNoErrors(check());
        }
    }

    private void requireNoErrors(List<CertificateDatabasePermissions.Finding> findings) throws UnusableException {
        List<CertificateDatabasePermissions.Finding> errors = findings.stream()
                .filter(CertificateDatabasePermissions.Finding::error).toList();
        if (!errors.isEmpty()) {
            throw new UnusableException(directory, errors);
        }
    }

    /**
     * Makes sure the directory and an NSS database exist and may be used; an existing directory is checked
     * before anything is created in it.
     */
    private void prepare() throws IOException {
        if (exists()) {
            requireNoErrors(CertificateDatabasePermissions.checkDirectory(directory, owner, shared));
        } else {
            Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString(shared ? "rwxr-xr-x" : "rwx------")));
        }
        if (!nss.exists()) {
            nss.create();
        }
        requireUsable();
    }

    private Trusted fromNss() throws IOException {
        List<X509Certificate> peers = new ArrayList<>();
        List<X509Certificate> authorities = new ArrayList<>();
        if (nss.exists()) {
            for (NssDatabase.Entry entry : nss.entries()) {
                if (entry.trustedPeer()) {
                    peers.add(entry.certificate());
                }
                if (entry.trustedAuthority()) {
                    authorities.add(entry.certificate());
                }
            }
        }
        return new Trusted(peers, authorities);
    }

    private boolean olderThanNss(Path store) throws IOException {
        Path certificates = directory.resolve("cert9.db");
        if (!Files.exists(certificates, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        FileTime nssTime = Files.getLastModifiedTime(certificates, LinkOption.NOFOLLOW_LINKS);
        return Files.getLastModifiedTime(store, LinkOption.NOFOLLOW_LINKS).compareTo(nssTime) < 0;
    }

    private static Trusted readJavaStore(Path store) throws IOException {
        try (InputStream in = Files.newInputStream(store, LinkOption.NOFOLLOW_LINKS)) {
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(in, NO_PASSWORD);
            List<X509Certificate> peers = new ArrayList<>();
            List<X509Certificate> authorities = new ArrayList<>();
            for (String alias : Collections.list(keyStore.aliases())) {
                Certificate certificate = keyStore.getCertificate(alias);
                if (keyStore.isCertificateEntry(alias) && certificate instanceof X509Certificate x509) {
                    if (alias.startsWith(PEER_PREFIX)) {
                        peers.add(x509);
                    } else if (alias.startsWith(AUTHORITY_PREFIX)) {
                        authorities.add(x509);
                    }
                }
            }
            return new Trusted(peers, authorities);
        } catch (GeneralSecurityException e) {
            throw new IOException(store + " is not a readable PKCS#12 trust store: " + e.getMessage(), e);
        }
    }

    private void writeJavaStore(Trusted trusted) throws IOException {
        try {
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(null, null);
            for (X509Certificate peer : trusted.peers()) {
                keyStore.setCertificateEntry(PEER_PREFIX + fingerprint(peer), peer);
            }
            for (X509Certificate authority : trusted.authorities()) {
                keyStore.setCertificateEntry(AUTHORITY_PREFIX + fingerprint(authority), authority);
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            keyStore.store(bytes, NO_PASSWORD);
            Set<PosixFilePermission> mode = shared ? FilePermissions.PUBLIC_FILE : FilePermissions.OWNER_ONLY_FILE;
            KeyFiles.writeAtomically(directory, JAVA_STORE, bytes.toByteArray(), mode);
            if (shared) {
                for (Path file : CertificateDatabasePermissions.databaseFiles(directory)) {
                    Files.setPosixFilePermissions(file, FilePermissions.PUBLIC_FILE);
                }
            }
        } catch (GeneralSecurityException e) {
            // PKCS#12 is a mandatory key store type of every Java platform.
            throw new IllegalStateException("cannot write a PKCS#12 trust store", e);
        }
    }
}
