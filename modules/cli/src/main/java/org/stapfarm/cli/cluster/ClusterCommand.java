package org.stapfarm.cli.cluster;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.stapfarm.management.NodeEndpoint;
import org.stapfarm.security.Certificates;
import org.stapfarm.security.ClusterAuthority;
import org.stapfarm.security.ClusterCredentials;
import org.stapfarm.security.ClusterCredentialsException;
import org.stapfarm.security.FilePermissions;
import org.stapfarm.security.IoMessages;
import org.stapfarm.security.NodeIdentity;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * `stapfarm-cluster create-ca|issue|show`: the cluster CA and the node certificates that let nodes into
 * one cluster (docs/cluster.md). Exit codes: 0 done, 1 failed (one line `stapfarm-cluster: ...` on standard
 * error), 2 usage error.
 */
public final class ClusterCommand {

    static final String PROGRAM = "stapfarm-cluster";
    private static final int FAILURE = 1;
    private static final int USAGE = 2;
    /** A hundred years: beyond that the certificate's dates approach the end of what X.509 can write. */
    private static final int MAX_DAYS = 36_500;
    /** Root's CA, in the host's configuration. */
    private static final String SYSTEM_CA_DIRECTORY = "/etc/stapfarm/cluster-ca";
    /** How the usage texts name the user's SystemTap directory; `$$` keeps picocli from expanding it. */
    private static final String SYSTEMTAP_DIRECTORY = "$${SYSTEMTAP_DIR:-$HOME/.systemtap}";

    private final Map<String, String> environment;
    private final long uid;
    private final PrintStream out;
    private final Clock clock;

    private ClusterCommand(Map<String, String> environment, long uid, PrintStream out, Clock clock) {
        this.environment = environment;
        this.uid = uid;
        this.out = out;
        this.clock = clock;
    }

    public static void main(String[] arguments) {
        int code = run(List.of(arguments), System.getenv(), FilePermissions.currentUid(), System.out, System.err,
                Clock.systemUTC());
        System.out.flush();
        System.exit(code);
    }

    /**
     * Runs the command as the user {@code uid} with {@code environment} (which decide the default
     * directories); returns the exit code.
     */
    static int run(List<String> arguments, Map<String, String> environment, long uid, PrintStream out,
                   PrintStream err, Clock clock) {
        ClusterCommand context = new ClusterCommand(environment, uid, out, clock);
        CommandLine commandLine = new CommandLine(new Main())
                .addSubcommand(context.new CreateCa())
                .addSubcommand(context.new Issue())
                .addSubcommand(context.new Show());
        PrintWriter outWriter = new PrintWriter(out, true, StandardCharsets.UTF_8);
        PrintWriter errWriter = new PrintWriter(err, true, StandardCharsets.UTF_8);
        commandLine.setOut(outWriter);
        commandLine.setErr(errWriter);
        commandLine.setParameterExceptionHandler((e, args) -> {
            errWriter.println(PROGRAM + ": " + e.getMessage());
            errWriter.println("Run '" + e.getCommandLine().getCommandSpec().qualifiedName()
                    + " --help' for its usage.");
            return USAGE;
        });
        commandLine.setExecutionExceptionHandler((e, failed, parseResult) -> {
            errWriter.println(PROGRAM + ": " + message(e));
            return FAILURE;
        });
        try {
            return commandLine.execute(arguments.toArray(String[]::new));
        } finally {
            outWriter.flush();
            errWriter.flush();
        }
    }

    /** One line for the operator: what was expected to go wrong says so itself; anything else is named. */
    private static String message(Exception e) {
        if (e instanceof ClusterCredentialsException || e instanceof IllegalArgumentException) {
            return e.getMessage();
        }
        if (e instanceof IOException io) {
            return IoMessages.describe(io);
        }
        return "unexpected error: " + e;
    }

    /** The CA directory when {@code --dir} is not given: root's in /etc, anybody else's in their own. */
    static Path defaultCaDirectory(Map<String, String> environment, long uid) {
        return uid == 0 ? Path.of(SYSTEM_CA_DIRECTORY)
                : NodeEndpoint.systemtapDirectory(environment).resolve("stapfarm").resolve("cluster-ca");
    }

    private Path defaultCredentialsDirectory() {
        return ClusterCredentials.defaultDirectory(NodeEndpoint.systemtapDirectory(environment));
    }

    private Instant now() {
        return clock.instant();
    }

    private static Duration days(int days, CommandSpec spec) {
        if (days < 1 || days > MAX_DAYS) {
            throw new ParameterException(spec.commandLine(),
                    "--days must be between 1 and " + MAX_DAYS + ", not " + days);
        }
        return Duration.ofDays(days);
    }

    private void printAuthority(X509Certificate authority) {
        out.println("CA:          " + authority.getSubjectX500Principal().getName());
        out.println("CA SHA-256:  " + Certificates.sha256Fingerprint(authority));
    }

    private void printValidity(X509Certificate certificate) {
        out.println("Valid:       " + certificate.getNotBefore().toInstant() + " to "
                + certificate.getNotAfter().toInstant());
    }

    private void printNode(NodeIdentity node) {
        out.println("Node:        " + node.certificate().getSubjectX500Principal().getName());
        out.println("Names:       " + String.join(", ", node.subjectAltNames()));
        printValidity(node.certificate());
        printAuthority(node.authority());
    }

    /** `-h` and `--help` on every command. */
    static final class HelpOption {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
        boolean help;
    }

    @Command(name = PROGRAM, synopsisSubcommandLabel = "(create-ca | issue | show)",
            description = "Creates the cluster CA and issues the certificates that let nodes into one cluster"
                    + " (docs/cluster.md).")
    static final class Main implements Callable<Integer> {
        @Mixin HelpOption help;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            throw new ParameterException(spec.commandLine(), "a command is needed: create-ca, issue or show");
        }
    }

    @Command(name = "create-ca", description = "Creates the cluster CA: a new key and a self-signed certificate.")
    final class CreateCa implements Callable<Integer> {
        @Mixin HelpOption help;
        @Spec CommandSpec spec;

        @Option(names = "--dir", paramLabel = "DIR", description = "Where to keep it (default: "
                + SYSTEM_CA_DIRECTORY + " for root, else " + SYSTEMTAP_DIRECTORY + "/stapfarm/cluster-ca).")
        Path directory;

        @Option(names = "--name", paramLabel = "NAME", defaultValue = "stapfarm",
                description = "The CA's common name (default: ${DEFAULT-VALUE}).")
        String name;

        @Option(names = "--days", paramLabel = "N", defaultValue = "3650",
                description = "How long it is valid (default: ${DEFAULT-VALUE}).")
        int days;

        @Override
        public Integer call() throws IOException, ClusterCredentialsException {
            Duration validity = days(days, spec);
            if (name.isBlank()) {
                throw new ParameterException(spec.commandLine(), "--name must not be empty");
            }
            Path target = directory != null ? directory : defaultCaDirectory(environment, uid);
            ClusterAuthority authority = ClusterAuthority.create(name, validity, now());
            authority.saveTo(target);
            out.println("Created the cluster CA in " + target);
            printAuthority(authority.certificate());
            printValidity(authority.certificate());
            out.println("Keep " + target + " to yourself: whoever reads it can let any machine into the cluster.");
            out.println("Next, for each node: " + PROGRAM + " issue --ca " + target + " --host HOST --out DIR");
            return 0;
        }
    }

    @Command(name = "issue", description = "Issues a node certificate, written with the CA's certificate as the"
            + " node's cluster credentials. The node uses them only when its user owns the directory and the"
            + " files and nobody else can read them: copy the directory as a whole, and as root, chown -R USER:"
            + " DIR for the node's USER.")
    final class Issue implements Callable<Integer> {
        @Mixin HelpOption help;
        @Spec CommandSpec spec;

        @Option(names = "--ca", paramLabel = "DIR", required = true, description = "The CA's directory.")
        Path caDirectory;

        @Option(names = "--host", paramLabel = "NAME", required = true,
                description = "A host name or IP address other nodes reach the node at; repeatable. The first"
                        + " names the certificate; the node's stapfarm.cluster.host must be one of them.")
        List<String> hosts;

        @Option(names = "--out", paramLabel = "DIR", description = "Where to write node.p12, trust.p12 and password"
                + " (default: " + SYSTEMTAP_DIRECTORY + "/stapfarm/cluster, where a node of this user"
                + " looks).")
        Path outDirectory;

        @Option(names = "--days", paramLabel = "N", defaultValue = "365",
                description = "How long the certificate is valid, at most as long as the CA"
                        + " (default: ${DEFAULT-VALUE}).")
        int days;

        @Option(names = "--force", description = "Replace credentials that are already there.")
        boolean force;

        @Override
        public Integer call() throws IOException, ClusterCredentialsException {
            Duration validity = days(days, spec);
            Path target = outDirectory != null ? outDirectory : defaultCredentialsDirectory();
            if (!force && ClusterCredentials.anyFileIn(target)) {
                throw new ClusterCredentialsException(target + " already holds cluster credentials; add --force to"
                        + " replace them");
            }
            NodeIdentity node = ClusterAuthority.load(caDirectory).issue(hosts, validity, now());
            ClusterCredentials.write(target, node);
            out.println("Wrote " + ClusterCredentials.KEY_STORE + ", " + ClusterCredentials.TRUST_STORE + " and "
                    + ClusterCredentials.PASSWORD_FILE + " to " + target);
            printNode(node);
            return 0;
        }
    }

    @Command(name = "show", description = "Shows a node's cluster credentials, or a CA directory's CA: nodes"
            + " with the same CA SHA-256 can join each other.")
    final class Show implements Callable<Integer> {
        @Mixin HelpOption help;

        @Parameters(arity = "0..1", paramLabel = "DIR", description = "The credentials or CA directory (default:"
                + " " + SYSTEMTAP_DIRECTORY + "/stapfarm/cluster).")
        Path directory;

        @Override
        public Integer call() throws IOException, ClusterCredentialsException {
            Path target = directory != null ? directory : defaultCredentialsDirectory();
            if (Files.exists(target.resolve(ClusterAuthority.KEY_STORE))) {
                X509Certificate authority = ClusterAuthority.load(target).certificate();
                printAuthority(authority);
                printValidity(authority);
                return 0;
            }
            ClusterCredentials credentials = ClusterCredentials.find(target).orElseThrow(() ->
                    new ClusterCredentialsException(target + " holds no cluster credentials (" + PROGRAM
                            + " issue writes them)"));
            printNode(credentials.read());
            return 0;
        }
    }
}
