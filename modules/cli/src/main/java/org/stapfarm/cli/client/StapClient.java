package org.stapfarm.cli.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.stapfarm.cli.discovery.FoundServer;
import org.stapfarm.cli.discovery.ServerFinder;
import org.stapfarm.protocol.ThisHost;
import org.stapfarm.cli.trust.ClientTrust;
import org.stapfarm.cli.trust.TrustLocations;
import org.stapfarm.protocol.ClientArguments;
import org.stapfarm.protocol.CompileRequest;
import org.stapfarm.protocol.CompileResult;
import org.stapfarm.protocol.RequestCodec;
import org.stapfarm.protocol.ResponseCodec;
import org.stapfarm.protocol.ResponseRejectedException;
import org.stapfarm.protocol.ResultFile;
import org.stapfarm.protocol.ServerResponse;
import org.stapfarm.security.Certificates;
import org.stapfarm.security.FilePermissions;

/**
 * `stap-client [--server=SPEC]... [--ssl=DIR]... <stap arguments>` (management-tools section 2.8): compiles
 * on a compile server with the wire protocol of the stock 4.8 client, checks the response, replays the
 * server's stderr and stdout, keeps the module for `-p4` or `-m`, and runs `staprun` for pass 5. Exit status:
 * the server's `rc`, or `staprun`'s for pass 5; 1 after `stap-client: ERROR: ...` for anything that went wrong
 * on the client's side.
 */
public final class StapClient {

    static final String PROGRAM = "stap-client";
    private static final String STAPRUN = "staprun";

    private final Map<String, String> environment;
    private final Path workingDirectory;
    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;
    private final ServerFinder finder;
    private final long uid;
    private final Path globalDatabase;
    private final Clock clock;

    /**
     * @param finder where servers come from when no `--server` names one, and where a `--server` without a
     *               port finds its port
     * @param uid    the user's uid, which decides the certificate databases consulted
     * @param globalDatabase the all-users database, {@link TrustLocations#GLOBAL_CLIENT} but in tests
     */
    public StapClient(Map<String, String> environment, Path workingDirectory, InputStream in, PrintStream out,
                      PrintStream err, ServerFinder finder, long uid, Path globalDatabase, Clock clock) {
        this.environment = environment;
        this.workingDirectory = workingDirectory;
        this.in = in;
        this.out = out;
        this.err = err;
        this.finder = finder;
        this.uid = uid;
        this.globalDatabase = globalDatabase;
        this.clock = clock;
    }

    public static void main(String[] args) {
        Map<String, String> environment = System.getenv();
        int status;
        try {
            ThisHost host = ThisHost.read();
            status = new StapClient(environment, Path.of("").toAbsolutePath(), System.in, System.out, System.err,
                    ServerFinder.forUser(environment, host), FilePermissions.currentUid(), TrustLocations.GLOBAL_CLIENT,
                    Clock.systemUTC())
                    .run(List.of(args), host);
        } catch (IOException e) {
            System.err.println(PROGRAM + ": ERROR: cannot identify this host: " + e.getMessage());
            status = 1;
        }
        System.out.flush();
        System.exit(status);
    }

    /** Runs one command line; the exit status. Public for the `systemtap` service, which compiles through it. */
    public int run(List<String> argv, ThisHost host) {
        try {
            return compile(argv, host);
        } catch (ClientException e) {
            err.println(PROGRAM + ": ERROR: " + e.getMessage());
            return 1;
        }
    }

    private int compile(List<String> argv, ThisHost host) throws ClientException {
        ClientArguments arguments = ClientArguments.parse(argv);
        if (!arguments.translator().problems().isEmpty() || !arguments.problems().isEmpty()) {
            throw new ClientException(arguments.problems().isEmpty()
                    ? arguments.translator().problems().get(0) : arguments.problems().get(0));
        }
        List<ServerAddress> specs = new ArrayList<>();
        for (String server : arguments.servers()) {
            specs.add(ServerAddress.parse(server));
        }
        CompileRequest request = RequestAssembler.assemble(arguments, workingDirectory, in, environment, host.sysInfo());
        byte[] zip;
        try {
            zip = RequestCodec.encode(request);
        } catch (IllegalArgumentException e) {
            throw new ClientException("cannot send these files to a server: " + e.getMessage());
        }
        ClientTrust trust = ClientTrust.load(arguments.sslDirectories(), environment, uid, globalDatabase, PROGRAM, err, clock)
                .orElseThrow(() -> new ClientException("No usable certificate databases found"));
        List<Candidate> candidates = candidates(specs, request);
        if (candidates.isEmpty()) {
            throw new ClientException("Unable to find a server");
        }
        ServerResponse response = exchange(candidates, trust, zip);
        return finish(arguments, response.result());
    }

    /** A server to try, with the name the user knows it by. */
    private record Candidate(String host, int port) {
        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /**
     * The explicit servers in command-line order and never any other (a spec without a port stands for the
     * found servers on its host); without `--server`, the found servers that build for the request's
     * release and architecture.
     */
    private List<Candidate> candidates(List<ServerAddress> specs, CompileRequest request) throws ClientException {
        List<Candidate> candidates = new ArrayList<>();
        List<FoundServer> found = null;
        for (ServerAddress spec : specs) {
            if (spec.port().isPresent()) {
                candidates.add(new Candidate(spec.host(), spec.port().getAsInt()));
                continue;
            }
            found = found != null ? found : find();
            List<FoundServer> matching = found.stream().filter(spec::matches).toList();
            if (matching.isEmpty()) {
                err.println(PROGRAM + ": WARNING: No server is available on " + spec);
            }
            matching.forEach(server -> candidates.add(new Candidate(server.address(), server.port())));
        }
        if (specs.isEmpty()) {
            find().stream().filter(server -> server.serves(request.sysInfo()))
                    .forEach(server -> candidates.add(new Candidate(server.address(), server.port())));
        }
        return candidates.stream().distinct().toList();
    }

    private List<FoundServer> find() throws ClientException {
        try {
            return finder.find();
        } catch (IOException e) {
            throw new ClientException("cannot look for servers: " + e.getMessage());
        }
    }

    /** The first server that completes the exchange with a usable response; the others' failures are listed. */
    private ServerResponse exchange(List<Candidate> candidates, ClientTrust trust, byte[] zip) throws ClientException {
        List<String> attempts = new ArrayList<>();
        for (Candidate candidate : candidates) {
            try {
                byte[] response = CompileConnection.exchange(candidate.host(), candidate.port(), trust.forConnection(), zip);
                return new ResponseCodec().decode(response);
            } catch (CompileConnection.UntrustedServerException e) {
                attempts.add("Server " + candidate + " is not trusted: its certificate"
                        + e.certificate().map(StapClient::describe).orElse("") + " is in none of the certificate"
                        + " databases (authorize it with stap-authorize-server-cert)");
            } catch (IOException e) {
                attempts.add("Unable to connect to " + candidate + ": " + e.getMessage());
            } catch (ResponseRejectedException e) {
                attempts.add("Server " + candidate + " sent an unusable response: " + e.getMessage());
            }
        }
        attempts.forEach(attempt -> err.println(PROGRAM + ": " + attempt));
        throw new ClientException("Unable to connect to a server");
    }

    private static String describe(X509Certificate certificate) {
        return " (serial " + Certificates.certinfo(certificate) + ", SHA-1 fingerprint "
                + Certificates.sha1Fingerprint(certificate) + ")";
    }

    /** Replays the output, keeps or loads the module; the exit status. */
    private int finish(ClientArguments arguments, CompileResult result) throws ClientException {
        Optional<String> module = module(result);
        err.write(result.stderr(), 0, result.stderr().length);
        if (arguments.lastPass() >= 4 && arguments.hasScript() && result.rc() == 0 && module.isEmpty()) {
            throw new ClientException("no module returned by the server");
        }
        byte[] stdout = module.map(name -> withoutModuleLine(result.stdout(), name)).orElse(result.stdout());
        out.write(stdout, 0, stdout.length);
        if (result.rc() != 0 || module.isEmpty()) {
            return result.rc();
        }
        String name = module.get();
        if (arguments.lastPass() == 4 || arguments.moduleName().isPresent()) {
            keep(result, name, workingDirectory);
            if (arguments.lastPass() == 4) {
                out.println(name);
            }
        }
        return arguments.lastPass() == 5 ? staprun(arguments, result, name) : 0;
    }

    /**
     * The name of the one module at the top of the module directory, `*.ko`, or `*.bo` from the BPF runtime;
     * several are an error. The stock 4.8 client only looks for `*.ko` and so finds no module in a BPF result;
     * the translator names both kinds after `-m` in the same place.
     */
    private static Optional<String> module(CompileResult result) throws ClientException {
        List<String> modules = result.moduleDirectory().stream().map(ResultFile::path)
                .filter(path -> (path.endsWith(".ko") || path.endsWith(".bo")) && !path.contains("/")).toList();
        if (modules.size() > 1) {
            throw new ClientException("Incorrect number of modules in server response: " + modules);
        }
        return modules.stream().findFirst();
    }

    /**
     * The translator prints the module it built as a line of its own at pass 4, with a path on the server; the
     * client names the module it keeps instead. Only that line goes, not every line that ends in `.ko`.
     */
    static byte[] withoutModuleLine(byte[] stdout, String module) {
        StringBuilder kept = new StringBuilder();
        for (String line : new String(stdout, StandardCharsets.UTF_8).split("(?<=\n)")) {
            String text = line.endsWith("\n") ? line.substring(0, line.length() - 1) : line;
            if (!text.equals(module) && !text.endsWith("/" + module)) {
                kept.append(line);
            }
        }
        return kept.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Writes the module and its signature, if the server sent one, into {@code directory}. */
    private static void keep(CompileResult result, String module, Path directory) throws ClientException {
        for (ResultFile file : result.moduleDirectory()) {
            if (file.path().equals(module) || file.path().equals(module + ".sgn")) {
                try {
                    Files.write(directory.resolve(file.path()), file.content());
                } catch (IOException e) {
                    throw new ClientException("cannot write " + directory.resolve(file.path()) + ": " + e.getMessage());
                }
            }
        }
    }

    /** Pass 5 on this host: `staprun` with `-c`, `-x`, `-o` and one `-v` less than the user gave. */
    private int staprun(ClientArguments arguments, CompileResult result, String module) throws ClientException {
        Path directory;
        try {
            directory = Files.createTempDirectory("stap-client", PosixFilePermissions.asFileAttribute(
                    FilePermissions.OWNER_ONLY_DIRECTORY));
        } catch (IOException e) {
            throw new ClientException("cannot make a temporary directory for the module: " + e.getMessage());
        }
        try {
            keep(result, module, directory);
            List<String> command = new ArrayList<>(List.of(STAPRUN));
            for (int i = 1; i < arguments.verbosity(); i++) {
                command.add("-v");
            }
            arguments.command().ifPresent(value -> command.addAll(List.of("-c", value)));
            arguments.targetPid().ifPresent(value -> command.addAll(List.of("-x", value)));
            arguments.outputFile().ifPresent(value -> command.addAll(List.of("-o", value)));
            command.add(directory.resolve(module).toString());
            return run(command);
        } finally {
            deleteTree(directory);
        }
    }

    private int run(List<String> command) throws ClientException {
        try {
            Process process = new ProcessBuilder(command).directory(workingDirectory.toFile())
                    .redirectInput(ProcessBuilder.Redirect.INHERIT).start();
            CompletableFuture<Void> stdout = CompletableFuture.runAsync(() -> copy(process.getInputStream(), out));
            CompletableFuture<Void> stderr = CompletableFuture.runAsync(() -> copy(process.getErrorStream(), err));
            int status = process.waitFor();
            stdout.join();
            stderr.join();
            return status;
        } catch (IOException e) {
            throw new ClientException("cannot run " + command.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClientException("interrupted while " + command.get(0) + " ran");
        }
    }

    private static void copy(InputStream from, OutputStream to) {
        try {
            from.transferTo(to);
            to.flush();
        } catch (IOException e) {
            // The reader went away; nothing is left to tell.
        }
    }

    private void deleteTree(Path directory) {
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            err.println(PROGRAM + ": WARNING: cannot remove " + directory + ": " + e.getMessage());
        }
    }
}
