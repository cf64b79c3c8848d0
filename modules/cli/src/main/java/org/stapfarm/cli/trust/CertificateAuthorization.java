package org.stapfarm.cli.trust;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.stapfarm.security.Certificates;
import org.stapfarm.security.FilePermissions;
import org.stapfarm.security.TrustDatabase;

/**
 * What `stap-authorize-server-cert`, `stap-add-server-cert` and `stap-authorize-signing-cert` share
 * (management-tools sections 2.6, 2.7): trust one server certificate in a certificate database, with
 * upstream's messages and exit codes, and without upstream's faults (section 5.5 item 46):
 * <ul>
 *   <li>a certificate whose subject is not SystemTap's gets a nickname of its own ({@link TrustDatabase#nickname});
 *       upstream named them all `stap-server`, and NSS silently refuses a second subject under one nickname;</li>
 *   <li>the file must hold exactly one X.509 certificate (DER or PEM) that has not expired;</li>
 *   <li>the database is checked before it is used (section 4.4, item 40a) and read back afterwards, so a
 *       certificate NSS did not store is reported, not assumed;</li>
 *   <li>only the databases every user reads ({@link TrustLocations#isShared}) are made readable by others.</li>
 * </ul>
 * Beyond upstream: `--revoke CERTFILE` stops trusting a certificate, `--import` and `--export` copy trust
 * between the NSS database and stapfarm's Java trust store beside it ({@link TrustDatabase}).
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

    private enum Action { AUTHORIZE, REVOKE, IMPORT, EXPORT }

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

    /** Runs the command; the exit status: 0 when it did what was asked, 1 otherwise. */
    public int run(List<String> arguments) {
        List<String> operands = new ArrayList<>();
        Action action = Action.AUTHORIZE;
        boolean optionsEnded = false;
        for (String argument : arguments) {
            if (!optionsEnded && argument.equals("--")) {
                optionsEnded = true;
            } else if (!optionsEnded && (argument.equals("--help") || argument.equals("-h"))) {
                out.println(usage());
                return 0;
            } else if (!optionsEnded && List.of("--revoke", "--import", "--export").contains(argument)) {
                if (action != Action.AUTHORIZE) {
                    return usageError("only one of --revoke, --import and --export may be given");
                }
                action = Action.valueOf(argument.substring(2).toUpperCase(Locale.ROOT));
            } else if (!optionsEnded && argument.startsWith("-") && argument.length() > 1) {
                return usageError("unrecognized option '" + argument + "'");
            } else {
                operands.add(argument);
            }
        }
        if (action == Action.IMPORT || action == Action.EXPORT) {
            return copy(action, operands);
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
        TrustDatabase database = database(operands.size() == 2 ? Optional.of(operands.get(1)) : Optional.empty());
        Optional<X509Certificate> certificate = certificate(certificateFile, action == Action.AUTHORIZE);
        if (certificate.isEmpty()) {
            return 1;
        }
        return action == Action.REVOKE ? revoke(certificateFile, certificate.get(), database)
                : authorize(certificateFile, certificate.get(), database);
    }

    /**
     * The database to use: a directory named on the command line may belong to anyone (as `--ssl` databases
     * of `stap-client`); a default one must belong to its user, the host's to root.
     */
    private TrustDatabase database(Optional<String> named) {
        Path directory = named.map(Path::of).orElseGet(() -> tool.defaultDirectory(environment));
        boolean shared = TrustLocations.isShared(directory);
        OptionalLong owner = named.isPresent() ? OptionalLong.empty()
                : OptionalLong.of(shared ? 0 : FilePermissions.currentUid());
        return new TrustDatabase(directory, owner, shared);
    }

    private Optional<X509Certificate> certificate(Path file, boolean mustBeValid) {
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
        if (!mustBeValid) {
            return Optional.of(certificate);
        }
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

    private int authorize(Path file, X509Certificate certificate, TrustDatabase database) {
        try {
            database.trust(certificate);
            return 0;
        } catch (TrustDatabase.UnusableException e) {
            err.println(e.getMessage());
        } catch (IOException e) {
            err.println("Unable to add " + file + " to the client certificate database " + database.directory());
            err.println(e.getMessage());
        }
        return 1;
    }

    private int revoke(Path file, X509Certificate certificate, TrustDatabase database) {
        try {
            if (!database.revoke(certificate)) {
                err.println("The certificate in " + file + " is not in the certificate database "
                        + database.directory());
                return 1;
            }
            return 0;
        } catch (IOException e) {
            err.println("Unable to remove " + file + " from the certificate database " + database.directory() + ": "
                    + e.getMessage());
            return 1;
        }
    }

    private int copy(Action action, List<String> operands) {
        if (operands.size() > 1) {
            return usageError("too many arguments");
        }
        if (operands.isEmpty() && tool.directoryRequired) {
            err.println("Certificate database directory must be specified");
            return 1;
        }
        TrustDatabase database = database(operands.stream().findFirst());
        try {
            if (action == Action.IMPORT) {
                out.println(database.importFromNss() + " certificates in " + database.directory().resolve(
                        TrustDatabase.JAVA_STORE));
            } else {
                out.println(database.exportToNss() + " certificates added to the NSS database "
                        + database.directory());
            }
            return 0;
        } catch (IOException e) {
            err.println("Unable to " + action.name().toLowerCase(Locale.ROOT) + " the trusted certificates of "
                    + database.directory() + ": " + e.getMessage());
            return 1;
        }
    }

    private int usageError(String problem) {
        err.println(tool.program + ": " + problem);
        err.println(usage());
        return 1;
    }

    private String usage() {
        String directory = tool.directoryRequired ? "DIRNAME" : "[DIRNAME]";
        return "Usage: " + tool.program + " [--revoke] CERTFILE " + directory + "\n"
                + "       " + tool.program + " --import|--export " + directory;
    }
}
