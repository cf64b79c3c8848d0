package org.stapfarm.cli.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.stapfarm.protocol.Architectures;
import org.stapfarm.protocol.ClientArguments;
import org.stapfarm.protocol.ClientLocale;
import org.stapfarm.protocol.CompileRequest;
import org.stapfarm.protocol.ProtocolVersion;
import org.stapfarm.protocol.RequestFile;
import org.stapfarm.protocol.SysInfo;

/**
 * Builds the request the stock 4.8 client would send for a command line (protocol section 2): the script
 * file under `script/<its canonical absolute path>` (`script/-` when read from standard input), each `-I`
 * tree under `tapset/<path>` with symbolic links followed as Info-ZIP's `zip -r` follows them, `sysinfo`
 * for `-r`/`-a` or this host, the locale variables, and the arguments of
 * {@link ClientArguments#requestArguments}.
 */
final class RequestAssembler {

    /** The protocol this client speaks: the stock 4.8 client's (protocol section 7.3). */
    static final ProtocolVersion CLIENT_VERSION = ProtocolVersion.parse("4.8");
    private static final String STDIN = "-";

    private RequestAssembler() {
    }

    static CompileRequest assemble(ClientArguments arguments, Path workingDirectory, InputStream stdin,
                                   Map<String, String> environment, SysInfo host) throws ClientException {
        if (!arguments.translator().runtimeDirectories().isEmpty()) {
            // The server's translator refuses -R after --client-options, and the stock client does not send it.
            throw new ClientException("-R cannot be used with a compile server: the server builds with its own"
                    + " runtime; run stap locally to use another");
        }
        Map<String, RequestFile> files = new LinkedHashMap<>();
        Map<String, String> scriptPaths = new HashMap<>();
        Map<String, String> tapsetPaths = new HashMap<>();
        if (arguments.translator().script().isPresent()) {
            String script = arguments.translator().script().get();
            if (script.equals(STDIN)) {
                scriptPaths.put(script, add(files, "script/-", readStdin(stdin)));
            } else {
                Path file = canonical(workingDirectory, script, "script file");
                if (!Files.isRegularFile(file)) {
                    throw new ClientException("Script file " + script + " is not a regular file");
                }
                scriptPaths.put(script, add(files, "script" + file, read(file)));
            }
        }
        for (String include : arguments.translator().includeDirectories()) {
            Path tree = canonical(workingDirectory, include, "tapset directory");
            tapsetPaths.put(include, "tapset" + tree);
            for (Path file : regularFiles(tree)) {
                add(files, "tapset" + file, read(file));
            }
        }
        SysInfo sysInfo = new SysInfo(arguments.release().orElse(host.release()),
                arguments.arch().map(Architectures::normalize).orElse(host.arch()));
        List<String> argv = arguments.requestArguments(scriptPaths::get, tapsetPaths::get);
        return new CompileRequest(CLIENT_VERSION, sysInfo, argv, ClientLocale.fromEnvironment(environment), List.of(),
                List.copyOf(files.values()), List.of());
    }

    private static String add(Map<String, RequestFile> files, String path, byte[] content) {
        files.putIfAbsent(path, new RequestFile(path, content));
        return path;
    }

    private static Path canonical(Path workingDirectory, String path, String what) throws ClientException {
        try {
            return workingDirectory.resolve(path).toRealPath();
        } catch (IOException e) {
            throw new ClientException("Cannot find " + what + " " + path);
        }
    }

    /** The regular files of a tree (or the file itself), following links; a link cycle is an error. */
    private static List<Path> regularFiles(Path tree) throws ClientException {
        try (Stream<Path> paths = Files.walk(tree, FileVisitOption.FOLLOW_LINKS)) {
            return paths.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException | UncheckedIOException e) {
            throw new ClientException("Cannot read tapset directory " + tree + ": " + e.getMessage());
        }
    }

    private static byte[] read(Path file) throws ClientException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ClientException("Cannot read " + file + ": " + e.getMessage());
        }
    }

    private static byte[] readStdin(InputStream stdin) throws ClientException {
        try {
            return stdin.readAllBytes();
        } catch (IOException e) {
            throw new ClientException("Cannot read the script from standard input: " + e.getMessage());
        }
    }
}
