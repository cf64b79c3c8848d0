package org.stapfarm.cli.trust;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.stapfarm.security.CertificateDatabasePermissions;
import org.stapfarm.security.Certificates;
import org.stapfarm.security.FilePermissions;

/**
 * What `stap-authorize-server-cert`, `stap-add-server-cert` and `stap-authorize-signing-cert` share
 * (management-tools sections 2.6, 2.7): add one server certificate to an NSS database as a trusted peer,
 * with upstream's messages and exit codes, and without upstream's faults (section 5.5 item 46):
 * <ul>
 *   <li>every certificate gets a nickname of its own ({@link #nickname}); upstream named them all
 *       `stap-server`, and NSS silently refuses a second `stap-server` with another subject;</li>
 *   <li>the file must hold exactly one X.509 certificate (DER or PEM) that has not expired;</li>
 *   <li>the result is read back, so a certificate NSS did not store is reported, not assumed;</li>
 *   <li>only the databases every user reads ({@link TrustLocations#isShared}) are made readable by others,
 *       and then only their database files; a user's own database keeps certutil's owner-only modes in a
 *       directory created 0700.</li>
 * </ul>
 */
public final class CertificateAuthorization {

    /** The three commands. */
    public enum Tool {
        AUTHORIZE_SERVER("stap-authorize-server-cert", false),
        ADD_SERVER("stap-add-server-cert", true),
        AUTHORIZE_SIGNER("stap-authorize-signing-cert", false);

        private final String program;
        private final boolean directoryRequired;

        Tool(String program, boolean directoryRequired) {
            this.program = program;
            this.directoryRequired = directoryRequired;
        }

        public String program() {
            return program;
        }

        Path defaultDirectory(Map<String, String> environment) {
            if (this == AUTHORIZE_SIGNER) {
                return TrustLocations.SIGNERS;
            }
            return FilePermissions.currentUid() == 0 ? TrustLocations.GLOBAL_CLIENT : TrustLocations.userClient(environment);
        }
    }

    /** What the stock tools store: a trusted peer for SSL, e-mail and object signing (protocol section 6.4). */
    static final String TRUST = "P,P,P";
    static final String NICKNAME_PREFIX = "stap-server-";

    private final Tool tool;
    private final Map<String, String> environment;
    private final PrintStream out;
    private final PrintStream err;
    private final Clock clock;

    public CertificateAuthorization(Tool tool, Map<String, String> environment, PrintStream out, PrintStream err,
                                    Clock clock) {
        this.tool = tool;
        this.environment = environment;
        this.out = out;
        this.err = err;
        this.clock = clock;
    }

    /** Runs the command; the exit status: 0 when the certificate is trusted now, 1 otherwise. */
    public int run(List<String> arguments) {
        List<String> operands = new ArrayList<>();
        boolean optionsEnded = false;
        for (String argument : arguments) {
            if (!optionsEnded && argument.equals("--")) {
                optionsEnded = true;
            } else if (!optionsEnded && (argument.equals("--help") || argument.equals("-h"))) {
                out.println(usage());
                return 0;
            } else if (!optionsEnded && argument.startsWith("-") && argument.length() > 1) {
                return usageError("unrecognized option '" + argument + "'");
            } else {
                operands.add(argument);
            }
        }
        if (operands.isEmpty()) {
            err.println("Certificate file must be specified");
            return 1;
        }
        if (operands.size() > 2) {
            return usageError("too many arguments");
        }
        Path certificateFile = Path.of(operands.get(0));
        if (!Files.isRegularFile(certificateFile)) {
            err.println("Cannot find certificate file " + certificateFile);
            return 1;
        }
        if (operands.size() < 2 && tool.directoryRequired) {
            err.println("Certificate database directory must be specified");
            return 1;
        }
        Path directory = operands.size() == 2 ? Path.of(operands.get(1)) : tool.defaultDirectory(environment);
        Optional<X509Certificate> certificate = certificate(certificateFile);
        return certificate.isPresent() ? authorize(certificateFile, certificate.get(), directory) : 1;
    }

    /**
     * The nickname a certificate is stored under: {@value #NICKNAME_PREFIX} and its SHA-1 fingerprint, the
     * value `certutil -L -n NICK` and `certutil -D -n NICK` then select exactly.
     */
    static String nickname(X509Certificate certificate) {
        return NICKNAME_PREFIX + Certificates.sha1Fingerprint(certificate).replace(":", "");
    }

    private Optional<X509Certificate> certificate(Path file) {
        List<X509Certificate> certificates;
        try {
            certificates = Certificates.decodeAll(Files.readAllBytes(file));
        } catch (IOException e) {
            err.println("Cannot read certificate file " + file + ": " + e.getMessage());
            return Optional.empty();
        } catch (CertificateException e) {
            err.println("Certificate file " + file + " does not hold an X.509 certificate (DER or PEM): "
                    + e.getMessage());
            return Optional.empty();
        }
        if (certificates.size() != 1) {
            err.println("Certificate file " + file + " holds " + certificates.size()
                    + " certificates; it must hold exactly one");
            return Optional.empty();
        }
        X509Certificate certificate = certificates.get(0);
        Instant now = clock.instant();
        if (certificate.getNotAfter().toInstant().isBefore(now)) {
            err.println("The certificate in " + file + " expired on " + certificate.getNotAfter().toInstant()
                    + "; an expired certificate cannot be trusted");
            return Optional.empty();
        }
        if (certificate.getNotBefore().toInstant().isAfter(now)) {
            err.println("Warning: the certificate in " + file + " is not valid before "
                    + certificate.getNotBefore().toInstant() + "; clients refuse it until then");
        }
        return Optional.of(certificate);
    }

    private int authorize(Path file, X509Certificate certificate, Path directory) {
        boolean shared = TrustLocations.isShared(directory);
        NssDatabase database = new NssDatabase(directory);
        try {
            if (!Files.isDirectory(directory)) {
                Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString(shared ? "rwxr-xr-x" : "rwx------")));
            }
            if (!database.exists()) {
                database.create();
            }
        } catch (IOException e) {
            err.println("Unable to find or create the client certificate database directory: " + directory);
            err.println(e.getMessage());
            return 1;
        }
        try {
            database.add(certificate, nickname(certificate), TRUST);
            boolean stored = database.entries().stream()
                    .anyMatch(entry -> entry.trustedPeer() && entry.certificate().equals(certificate));
            if (!stored) {
                throw new IOException("the database does not list the certificate as a trusted peer afterwards");
            }
        } catch (IOException e) {
            err.println("Unable to add " + file + " to the client certificate database " + directory);
            err.println(e.getMessage());
            return 1;
        }
        if (shared) {
            makeReadableByOthers(directory);
        }
        return 0;
    }

    /** Other users' clients (and `staprun`) must read a shared database; certutil creates its files 0600. */
    private void makeReadableByOthers(Path directory) {
        try {
            for (Path file : CertificateDatabasePermissions.databaseFiles(directory)) {
                Files.setPosixFilePermissions(file, FilePermissions.PUBLIC_FILE);
            }
        } catch (IOException e) {
            err.println("Warning: unable to make the client certificate database " + directory + " readable by others");
        }
    }

    private int usageError(String problem) {
        err.println(tool.program + ": " + problem);
        err.println(usage());
        return 1;
    }

    private String usage() {
        return "Usage: " + tool.program + " CERTFILE " + (tool.directoryRequired ? "DIRNAME" : "[DIRNAME]");
    }
}
