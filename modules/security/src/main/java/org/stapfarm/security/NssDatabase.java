package org.stapfarm.security;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An NSS certificate database directory as the stock `stap` client and `staprun` read it (`sql:DIR`),
 * written and read only through NSS's own `certutil`, so that its format is always the one NSS expects.
 */
public final class NssDatabase {

    /**
     * A certificate in the database with its SSL trust.
     *
     * @param trustedPeer      trusted as it is (trust `P`): the stock client's trust in a server
     * @param trustedAuthority trusted to issue server certificates (trust `C`)
     */
    public record Entry(X509Certificate certificate, boolean trustedPeer, boolean trustedAuthority) {
    }

    /** What `certutil -N` makes; the database exists when it does. */
    private static final String CERTIFICATE_FILE = "cert9.db";
    private static final String CERTUTIL = "certutil";
    /** A line of `certutil -L`: the nickname (which may contain blanks), then the trust of SSL, S/MIME, code. */
    private static final Pattern LISTING_LINE = Pattern.compile("(.*\\S)\\s+([A-Za-z]*,[A-Za-z]*,[A-Za-z]*)\\s*");
    private static final Pattern HEX_PAIRS = Pattern.compile("\\s*([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})+)\\s*");

    private final Path directory;

    public NssDatabase(Path directory) {
        this.directory = directory;
    }

    public Path directory() {
        return directory;
    }

    public boolean exists() {
        return Files.isRegularFile(directory.resolve(CERTIFICATE_FILE));
    }

    /** Creates an empty database without a password, as the stock tools do. */
    public void create() throws IOException {
        certutil(null, "-N", "--empty-password");
    }

    /**
     * Adds {@code certificate} (or changes its trust, when the database holds it already under any
     * nickname).
     *
     * @param trust NSS trust flags for SSL, S/MIME and code signing, e.g. `P,P,P`
     */
    public void add(X509Certificate certificate, String nickname, String trust) throws IOException {
        // The DER goes in on standard input, so certutil imports exactly the certificate that was checked.
        certutil(Certificates.encode(certificate), "-A", "-n", nickname, "-t", trust);
    }

    /**
     * Every certificate in the database with its SSL trust. The listing names each certificate by nickname,
     * but NSS resolves a nickname to all certificates with the same subject, and every SystemTap server
     * certificate has the same subject; so each nickname's group is fetched, and the trust of each
     * certificate in it is taken from certutil's description of that very certificate (matched by
     * fingerprint), not from the listing line.
     */
    public List<Entry> entries() throws IOException {
        Set<String> nicknames = new LinkedHashSet<>();
        listing().forEach(line -> nicknames.add(line.nickname()));
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (String nickname : nicknames) {
            Map<String, Set<String>> sslTrust = sslTrustByFingerprint(certutil(null, "-L", "-n", nickname));
            for (X509Certificate certificate : group(nickname)) {
                String fingerprint = sha256(certificate);
                Set<String> flags = sslTrust.getOrDefault(fingerprint, Set.of());
                entries.putIfAbsent(fingerprint, new Entry(certificate, flags.contains("Trusted"),
                        flags.contains("Trusted CA")));
            }
        }
        return List.copyOf(entries.values());
    }

    /**
     * Removes {@code certificate}, under whatever nickname it is stored; false when the database does not hold
     * it. certutil deletes by nickname only. Under a nickname of its own ({@code preferredNickname}) that is
     * exact. A nickname several certificates share (upstream stores every server as `stap-server`) names
     * whichever of them NSS finds first: those deleted before {@code certificate} are stored again afterwards,
     * under the same nickname and with the same trust.
     *
     * @throws IOException when certutil fails, or when certificates sharing a nickname have different trust
     *                     (they could not be stored again exactly as they were)
     */
    public boolean remove(X509Certificate certificate, String preferredNickname) throws IOException {
        if (!certificates().contains(certificate)) {
            return false;
        }
        Map<String, List<String>> trustByNickname = new LinkedHashMap<>();
        listing().forEach(line -> trustByNickname.computeIfAbsent(line.nickname(), n -> new ArrayList<>())
                .add(line.trust()));
        if (trustByNickname.getOrDefault(preferredNickname, List.of()).size() == 1) {
            certutil(null, "-D", "-n", preferredNickname);
            if (!certificates().contains(certificate)) {
                return true;
            }
        }
        for (Map.Entry<String, List<String>> nickname : trustByNickname.entrySet()) {
            if (new HashSet<>(nickname.getValue()).size() != 1) {
                throw new IOException("the certificates named " + nickname.getKey() + " have different trust; remove"
                        + " the certificate with certutil -D -n '" + nickname.getKey() + "' -d sql:" + directory);
            }
        }
        for (Map.Entry<String, List<String>> nickname : trustByNickname.entrySet()) {
            if (removeUnder(nickname.getKey(), nickname.getValue().get(0), nickname.getValue().size(), certificate)) {
                return true;
            }
        }
        throw new IOException("certutil listed the certificate but deleted it under none of its nicknames");
    }

    /** Deletes what {@code nickname} names until {@code certificate} is gone; the others are stored again. */
    private boolean removeUnder(String nickname, String trust, int count, X509Certificate certificate)
            throws IOException {
        List<X509Certificate> bystanders = new ArrayList<>();
        try {
            Set<X509Certificate> before = certificates();
            for (int i = 0; i < count; i++) {
                certutil(null, "-D", "-n", nickname);
                Set<X509Certificate> after = certificates();
                before.removeAll(after);
                if (before.contains(certificate)) {
                    return true;
                }
                bystanders.addAll(before);
                before = after;
            }
            return false;
        } finally {
            for (X509Certificate bystander : bystanders) {
                add(bystander, nickname, trust);
            }
        }
    }

    private Set<X509Certificate> certificates() throws IOException {
        Set<X509Certificate> certificates = new HashSet<>();
        entries().forEach(entry -> certificates.add(entry.certificate()));
        return certificates;
    }

    /** Every certificate sharing a subject with the one {@code nickname} names. */
    private List<X509Certificate> group(String nickname) throws IOException {
        byte[] pem = certutil(null, "-L", "-n", nickname, "-a").getBytes(StandardCharsets.US_ASCII);
        try {
            return Certificates.decodeAll(pem);
        } catch (CertificateException e) {
            throw new IOException("certutil printed a certificate of " + nickname + " that cannot be read: "
                    + e.getMessage(), e);
        }
    }

    /** A line of `certutil -L`: one per certificate, nicknames repeated when certificates share one. */
    private record Listed(String nickname, String trust) {
    }

    private List<Listed> listing() throws IOException {
        List<Listed> lines = new ArrayList<>();
        for (String line : certutil(null, "-L").lines().toList()) {
            Matcher matcher = LISTING_LINE.matcher(line);
            if (matcher.matches()) {
                lines.add(new Listed(matcher.group(1), matcher.group(2)));
            }
        }
        return lines;
    }

    /**
     * From certutil's description of certificates (`-L -n NICK`): each certificate's SHA-256 fingerprint
     * and the lines under its "SSL Flags:" heading ("Trusted" for a trusted peer, "Trusted CA" for an
     * authority, "Valid CA", "Terminal Record", ...).
     */
    static Map<String, Set<String>> sslTrustByFingerprint(String description) {
        Map<String, Set<String>> trust = new LinkedHashMap<>();
        String fingerprint = null;
        Set<String> flags = null;
        boolean expectFingerprint = false;
        for (String line : description.lines().toList()) {
            String text = line.strip();
            if (line.equals("Certificate:")) {
                fingerprint = null;
                flags = null;
            } else if (text.equals("Fingerprint (SHA-256):")) {
                expectFingerprint = true;
            } else if (expectFingerprint) {
                Matcher hex = HEX_PAIRS.matcher(line);
                fingerprint = hex.matches() ? hex.group(1).toLowerCase(Locale.ROOT) : null;
                expectFingerprint = false;
            } else if (text.equals("SSL Flags:") && fingerprint != null) {
                flags = new HashSet<>();
                trust.put(fingerprint, flags);
            } else if (text.endsWith("Flags:")) {
                flags = null;
            } else if (flags != null && !text.isEmpty()) {
                flags.add(text);
            }
        }
        return trust;
    }

    private static String sha256(X509Certificate certificate) {
        try {
            return Certificates.hexPairs(MessageDigest.getInstance("SHA-256").digest(Certificates.encode(certificate)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** Runs certutil on this database; its standard output, or its complaint as the exception's message. */
    private String certutil(byte[] input, String... arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of(CERTUTIL));
        command.addAll(List.of(arguments));
        command.addAll(List.of("-d", "sql:" + directory));
        Process process;
        try {
            process = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new IOException("cannot run " + CERTUTIL + " (NSS tools, Debian package libnss3-tools): "
                    + e.getMessage(), e);
        }
        CompletableFuture<String> errors = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        try (var stdin = process.getOutputStream()) {
            if (input != null) {
                stdin.write(input);
            }
        }
        String output = read(process.getInputStream());
        try {
            int status = process.waitFor();
            if (status != 0) {
                String complaint = errors.join().strip();
                throw new IOException(complaint.isEmpty() ? CERTUTIL + " failed with status " + status : complaint);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroy();
            throw new IOException("interrupted while " + CERTUTIL + " ran", e);
        }
        return output;
    }

    private static String read(InputStream stream) {
        try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
