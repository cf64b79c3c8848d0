package org.stapfarm.service;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.stapfarm.cli.client.StapClient;
import org.stapfarm.cli.discovery.ServerFinder;
import org.stapfarm.cli.trust.TrustLocations;
import org.stapfarm.compiler.BuildTarget;
import org.stapfarm.compiler.BuildTargets;
import org.stapfarm.compiler.CompilerSetupException;

/**
 * Builds a script's module for a kernel release into the cache (spec §3.7), in a fresh `TEMP_PATH/cache.XXXXXXXX`
 * removed afterwards. Where the release's build tree is installed (`MODULES_DIR/<release>/build`), the local
 * translator runs: `stap -p4 -m <name> -r <build tree> <compile options> <script>`. Where it is not, the same
 * command goes to a compile server through stapfarm's `stap-client` (`COMPILE_SERVER`, `COMPILE_SSL`, or the
 * servers discovery finds for that release), and the module it returns is cached the same way. All output goes to
 * the log.
 */
final class ModuleCompiler {

    private final ServiceSettings settings;
    private final Host host;
    private final ServiceLog log;

    ModuleCompiler(ServiceSettings settings, Host host, ServiceLog log) {
        this.settings = settings;
        this.host = host;
        this.log = log;
    }

    /** Compiles {@code name}; true when its module is in {@code cache}, false (with the reason logged) otherwise. */
    boolean compile(String name, Path script, ScriptOptions options, String release, Cache cache) {
        Path directory = null;
        try {
            Files.createDirectories(settings.tempPath());
            directory = Files.createTempDirectory(settings.tempPath(), "cache.");
            String arch = host.thisHost().sysInfo().arch();
            KernelIdentity kernel;
            String builtWith;
            int status;
            BuildTarget target;
            try {
                target = BuildTargets.resolve(release, arch, settings.modulesDir());
            } catch (CompilerSetupException e) {
                target = null;
                log.log(name + ": " + e.getMessage() + "; compiling through a compile server");
            }
            if (target != null) {
                kernel = KernelIdentity.ofBuildTree(release, arch, target.buildTree());
                builtWith = "stap, build tree " + target.buildTree();
                status = runTranslator(name, script, options, target.buildTree(), directory);
            } else {
                kernel = new KernelIdentity(release, arch, "");
                builtWith = settings.compileServers().isEmpty() ? "a compile server found by discovery"
                        : "compile server " + String.join(" ", settings.compileServers());
                status = compileRemotely(name, script, options, release, directory);
            }
            Path module = directory.resolve(name + "." + options.runtime().suffix);
            if (status != 0 || !Files.isRegularFile(module)) {
                log.log("Failed to compile script(" + name + ")." + (status == 0 ? " No " + module.getFileName()
                        + " was produced." : ""));
                return false;
            }
            cache.store(name, module, new Cache.Entry(kernel, options.runtime(), options.recordedCompileOptions(),
                    Cache.sha256(script), host.thisHost().hostName(), builtWith));
            log.log(name + ": compiled for " + release + " with " + builtWith + " into " + cache.directory());
            return true;
        } catch (IOException e) {
            log.log("Failed to compile script(" + name + "): " + e.getMessage());
            return false;
        } finally {
            if (directory != null) {
                deleteTree(directory);
            }
        }
    }

    private int runTranslator(String name, Path script, ScriptOptions options, Path buildTree, Path directory)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(settings.stap(), "-p4", "-m", name, "-r", buildTree.toString()));
        command.addAll(options.compileOptions());
        command.add(script.toString());
        log.log("Running " + Words.join(command));
        Process process = new ProcessBuilder(command).directory(directory.toFile())
                .redirectInput(new File("/dev/null"))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.file().toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(log.file().toFile()))
                .start();
        try {
            // No time limit: a kernel module can take minutes to build, and the administrator is waiting for it.
            return process.waitFor();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while compiling " + name);
        }
    }

    private int compileRemotely(String name, Path script, ScriptOptions options, String release, Path directory)
            throws IOException {
        List<String> arguments = new ArrayList<>();
        settings.compileServers().forEach(server -> arguments.add("--server=" + server));
        settings.compileSsl().forEach(database -> arguments.add("--ssl=" + database));
        arguments.addAll(List.of("-p4", "-m" + name, "-r" + release));
        arguments.addAll(options.compileOptions());
        arguments.add(script.toAbsolutePath().toString());
        log.log("Running stap-client " + Words.join(arguments));
        try (PrintStream output = log.append()) {
            StapClient client = new StapClient(host.environment(), directory, new ByteArrayInputStream(new byte[0]),
                    output, output, ServerFinder.forUser(host.environment(), host.thisHost()), host.uid(),
                    TrustLocations.GLOBAL_CLIENT, host.clock());
            return client.run(arguments, host.thisHost());
        }
    }

    private void deleteTree(Path directory) {
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            log.log("Cannot remove " + directory + ": " + e.getMessage());
        }
    }
}
