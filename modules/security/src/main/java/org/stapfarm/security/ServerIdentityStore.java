package org.stapfarm.security;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Loads a compile server's {@link ServerIdentity} from a directory, creating or renewing it when needed.
 *
 * <p>The directory is {@code --ssl DIR} when given, else {@link #defaultDirectory(Path)} of the user's
 * SystemTap directory. Its layout:
 * <pre>
 *   DIR/                 0700 when we create it (with any missing parents); never group/world-writable
 *   DIR/stap.cert        0644  the certificate, DER (what upstream's stap-serverd also writes, so
 *                              {@code stap-authorize-cert DIR/stap.cert ...} and certutil work unchanged)
 *   DIR/stap.key         0600  its RSA private key, unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"),
 *                              readable by {@code openssl pkey -in stap.key}
 *   DIR/stapfarm.lock    0600  empty; serialises creation between processes
 * </pre>
 * Both files may be supplied by an operator (e.g. one identity shared by all farm nodes, spec 6.6 item 8);
 * a PKCS#1 ("BEGIN RSA PRIVATE KEY") key is accepted as well.
 *
 * <p>{@link #loadOrCreate()}:
 * <ul>
 *   <li>neither file: a new identity is generated (spec 6.6), see {@link ServerIdentity#generate};</li>
 *   <li>both: they are loaded, the key must belong to the certificate; a certificate that has expired or
 *       is not yet valid is replaced by a new key and certificate (new serial: clients must trust it
 *       again, spec 4.10);</li>
 *   <li>{@code stap.cert} without {@code stap.key}: refused. That is what the reference stap-serverd
 *       leaves (its key lives in the NSS database {@code key4.db}), and its certificate is never
 *       overwritten;</li>
 *   <li>{@code stap.key} without {@code stap.cert}: what an interrupted creation or renewal leaves
 *       behind; a new identity is generated.</li>
 * </ul>
 * Refused as well: a directory not owned by the current user or writable by group or others; files that
 * are symbolic links, not ours or writable by group or others; a key that group or others can access.
 *
 * <p>Files are written to a temporary file in the same directory and renamed into place, key first; a
 * renewal removes the old certificate before writing anything. So a crash leaves either a complete
 * identity or a state from which the next start generates a new one, never a half-written key (at worst
 * an owner-only {@code .stap.key.*.tmp} file that nothing reads).
 *
 * <p>Instances are immutable settings; the {@code with...} methods return modified copies. Concurrent
 * calls for the same directory, in this JVM or in other processes, are serialised.
 */
public final class ServerIdentityStore {

    public static final String CERTIFICATE_FILE = "stap.cert";
    public static final String KEY_FILE = "stap.key";
    public static final String LOCK_FILE = "stapfarm.lock";

    /** How a {@link Result}'s identity came about. */
    public enum Origin {
        /** Read from the directory as it was. */
        LOADED,
        /** Generated because the directory held none. */
        CREATED,
        /** Generated because the stored certificate was expired or not yet valid. */
        RENEWED;

        /** Whether clients have never seen this certificate: local trust and DNS-SD need updating. */
        public boolean isNew() {
            return this != LOADED;
        }
    }

    /** What {@link #loadOrCreate()} found or made. */
    public record Result(ServerIdentity identity, Origin origin) {
        public Result {
            Objects.requireNonNull(identity, "identity");
            Objects.requireNonNull(origin, "origin");
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(ServerIdentityStore.class);

    /** One monitor per real directory path: FileLock guards between processes but not between threads. */
    private static final ConcurrentMap<Path, Object> DIRECTORY_MONITORS = new ConcurrentHashMap<>();

    private static final Path KERNEL_HOSTNAME = Path.of("/proc/sys/kernel/hostname");

    private final Path directory;
    private final int keySize;
    private final Duration validity;
    private final String hostName;
    private final List<String> extraDnsNames;
    private final Clock clock;

    private ServerIdentityStore(Path directory, int keySize, Duration validity, String hostName,
                                List<String> extraDnsNames, Clock clock) {
        this.directory = directory;
        this.keySize = keySize;
        this.validity = validity;
        this.hostName = hostName;
        this.extraDnsNames = extraDnsNames;
        this.clock = clock;
    }

    /**
     * A store for {@code directory} generating RSA {@value ServerIdentity#DEFAULT_KEY_SIZE}-bit keys and
     * certificates valid for {@link ServerIdentity#DEFAULT_VALIDITY}, named after the local host.
     */
    public static ServerIdentityStore in(Path directory) {
        return new ServerIdentityStore(directory.toAbsolutePath(), ServerIdentity.DEFAULT_KEY_SIZE,
                ServerIdentity.DEFAULT_VALIDITY, null, List.of(), Clock.systemUTC());
    }

    /** Where the reference server keeps its identity without {@code --ssl} (spec 6.1). */
    public static Path defaultDirectory(Path systemtapDirectory) {
        return systemtapDirectory.resolve("ssl").resolve("server");
    }

    /**
     * RSA key size for newly generated keys, at least {@value ServerIdentity#MINIMUM_KEY_SIZE}; existing
     * keys are kept whatever their size.
     */
    public ServerIdentityStore withKeySize(int bits) {
        // Checked here as well as at generation so that a bad setting fails at start-up, not at renewal.
        if (bits < ServerIdentity.MINIMUM_KEY_SIZE) {
            throw new IllegalArgumentException("RSA key size " + bits + " is below " + ServerIdentity.MINIMUM_KEY_SIZE);
        }
        return new ServerIdentityStore(directory, bits, validity, hostName, extraDnsNames, clock);
    }

    /** Validity of newly generated certificates; positive. */
    public ServerIdentityStore withValidity(Duration validity) {
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("validity must be positive: " + validity);
        }
        return new ServerIdentityStore(directory, keySize, validity, hostName, extraDnsNames, clock);
    }

    /**
     * The host name put first into new certificates, instead of the kernel's host name ({@code uname -n}).
     */
    public ServerIdentityStore withHostName(String hostName) {
        return new ServerIdentityStore(directory, keySize, validity, Objects.requireNonNull(hostName), extraDnsNames, clock);
    }

    /**
     * DNS names added to new certificates after the host name and {@code <host>.local} (like the extra
     * arguments of upstream's {@code stap-gen-cert}), e.g. a farm alias. An existing certificate is not
     * regenerated when they change.
     */
    public ServerIdentityStore withExtraDnsNames(List<String> names) {
        return new ServerIdentityStore(directory, keySize, validity, hostName, List.copyOf(names), clock);
    }

    /** The clock that decides expiry and stamps new certificates. */
    public ServerIdentityStore withClock(Clock clock) {
        return new ServerIdentityStore(directory, keySize, validity, hostName, extraDnsNames, Objects.requireNonNull(clock));
    }

    public Path directory() {
        return directory;
    }

    /**
     * The subjectAltName DNS names of a new certificate: the host name, {@code <its first label>.local}
     * (its mDNS name), then the extra names; duplicates dropped.
     */
    public List<String> dnsNames() {
        String host = hostName != null ? hostName : localHostName();
        int dot = host.indexOf('.');
        Set<String> names = new LinkedHashSet<>();
        names.add(host);
        names.add((dot < 0 ? host : host.substring(0, dot)) + ".local");
        names.addAll(extraDnsNames);
        return List.copyOf(names);
    }

    /** Loads the identity, creating or renewing it first when needed (see the class description). */
    public Result loadOrCreate() throws IdentityStoreException {
        try {
            Path dir = prepareDirectory();
            synchronized (DIRECTORY_MONITORS.computeIfAbsent(dir, d -> new Object())) {
                try (FileChannel lockChannel = openLockFile(dir)) {
                    // Held until the channel is closed.
                    lockChannel.lock();
                    return loadOrCreateLocked(dir);
                }
            }
        } catch (UnsafeFileException e) {
            throw new IdentityStoreException(e.getMessage(), e);
        } catch (IOException e) {
            throw new IdentityStoreException("Cannot use the server certificate directory " + directory + ": "
                    + IoMessages.describe(e), e);
        }
    }

    /** Creates the directory when missing, then checks it; returns its real path. */
    private Path prepareDirectory() throws IOException {
        if (!Files.exists(directory)) {
            FilePermissions.createPrivateDirectories(directory);
            LOG.info("Created server certificate directory {}", directory);
        }
        // A link to the directory is fine (e.g. ~/.systemtap on another disk); its target is checked.
        Path dir = directory.toRealPath();
        FilePermissions.requireSafeDirectory(dir);
        return dir;
    }

    private static FileChannel openLockFile(Path dir) throws IOException {
        Path lockFile = dir.resolve(LOCK_FILE);
        FileChannel channel = FileChannel.open(lockFile,
                Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(FilePermissions.OWNER_ONLY_FILE));
        try {
            FilePermissions.requireSafeFile(lockFile);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        return channel;
    }

    private Result loadOrCreateLocked(Path dir) throws IOException, IdentityStoreException {
        Path certFile = dir.resolve(CERTIFICATE_FILE);
        Path keyFile = dir.resolve(KEY_FILE);
        boolean hasCert = Files.exists(certFile, LinkOption.NOFOLLOW_LINKS);
        boolean hasKey = Files.exists(keyFile, LinkOption.NOFOLLOW_LINKS);

        if (hasCert && !hasKey) {
            throw new IdentityStoreException(dir + " holds " + CERTIFICATE_FILE + " but no " + KEY_FILE
                    + ": it looks like a certificate database of the reference stap-serverd (NSS cert9.db/key4.db),"
                    + " which stapfarm cannot use and will not overwrite; use another directory with --ssl DIR");
        }
        if (!hasCert) {
            if (hasKey) {
                FilePermissions.requirePrivateFile(keyFile);
                LOG.warn("{} has no {} (an interrupted creation?); generating a new key and certificate",
                        dir, CERTIFICATE_FILE);
            }
            ServerIdentity identity = generate();
            write(dir, identity);
            LOG.info("Created server certificate {} in {}, valid until {}",
                    identity.certinfo(), dir, identity.certificate().getNotAfter().toInstant());
            return new Result(identity, Origin.CREATED);
        }

        FilePermissions.requireSafeFile(certFile);
        FilePermissions.requirePrivateFile(keyFile);
        ServerIdentity stored = read(certFile, keyFile);
        Instant now = clock.instant();
        if (!stored.isValidAt(now)) {
            ServerIdentity renewed = generate();
            // Removing the certificate first makes every crash point below recoverable (see class doc).
            Files.delete(certFile);
            KeyFiles.syncDirectory(dir);
            write(dir, renewed);
            LOG.warn("Server certificate {} in {} is not valid now (valid {} to {}); replaced it by a new key and"
                            + " certificate {}: clients must trust this server again",
                    stored.certinfo(), dir, stored.certificate().getNotBefore().toInstant(),
                    stored.certificate().getNotAfter().toInstant(), renewed.certinfo());
            return new Result(renewed, Origin.RENEWED);
        }
        for (String problem : ServerIdentity.compatibilityProblems(stored.certificate())) {
            LOG.warn("Server certificate {}: {}", certFile, problem);
        }
        return new Result(stored, Origin.LOADED);
    }

    private ServerIdentity generate() {
        return ServerIdentity.generate(dnsNames(), keySize, validity, clock.instant());
    }

    private static ServerIdentity read(Path certFile, Path keyFile) throws IdentityStoreException, IOException {
        X509Certificate certificate;
        try {
            certificate = Certificates.decode(Files.readAllBytes(certFile));
        } catch (CertificateException e) {
            throw new IdentityStoreException(certFile + " is not a readable X.509 certificate: " + e.getMessage(), e);
        }
        PrivateKey key = KeyFiles.readPrivateKey(keyFile);
        try {
            return ServerIdentity.of(certificate, key);
        } catch (IllegalArgumentException e) {
            throw new IdentityStoreException(keyFile + " does not fit " + certFile + ": " + e.getMessage(), e);
        }
    }

    private static void write(Path dir, ServerIdentity identity) throws IOException {
        // The key goes first: a certificate without its key would look like a foreign NSS directory.
        KeyFiles.writeAtomically(dir, KEY_FILE, KeyFiles.privateKeyPem(identity.privateKey()),
                FilePermissions.OWNER_ONLY_FILE);
        KeyFiles.writeAtomically(dir, CERTIFICATE_FILE, Certificates.encode(identity.certificate()),
                FilePermissions.PUBLIC_FILE);
    }

    /** The kernel's host name, which is what upstream ({@code uname -n}) puts into its certificates. */
    private static String localHostName() {
        try {
            String name = Files.readString(KERNEL_HOSTNAME, StandardCharsets.US_ASCII).strip();
            if (!name.isEmpty()) {
                return name;
            }
        } catch (IOException e) {
            LOG.debug("Cannot read {}, asking the resolver for the host name", KERNEL_HOSTNAME, e);
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            LOG.warn("Cannot determine the host name; naming the server certificate localhost", e);
            return "localhost";
        }
    }
}
