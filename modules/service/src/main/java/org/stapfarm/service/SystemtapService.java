package org.stapfarm.service;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.stapfarm.config.ConfigFile;
import org.stapfarm.config.ConfigFile.ConfigFileException;

/**
 * `systemtap COMMAND [-c CONFIG] [-r RELEASE] [-R] [-y] [SCRIPT]...`: probe scripts run as services (spec §3), a
 * short-lived command that reads its configuration as data. Before any command runs, the whole configuration is
 * read and checked; a mistake in it (a malformed line, an unreadable file, a `_REQ` naming no script, a dependency
 * cycle, unusable options) is reported with exit 6 and nothing is done. See docs/systemtap-service.md.
 *
 * <p>Exit codes: 0 success (also with `PASSALL=no` warnings, or a declined prompt); 1 a script failed with
 * `PASSALL=yes`, or the log or status directory is unusable; 3 usage error, or `status` with nothing running; 4 or 1
 * from `status` for a single script in that state; 5 a named script is not installed; 6 configuration error.
 */
public final class SystemtapService {

    static final int USAGE = 3;
    static final int NOT_CONFIGURED = 6;

    /** Releases end up in a file system path: one plain component, as `uname -r` prints them. */
    private static final Pattern RELEASE = Pattern.compile("[A-Za-z0-9_.+~-]+");

    private SystemtapService() {
    }

    public static void main(String[] arguments) {
        Host host;
        try {
            host = Host.system();
        } catch (IOException e) {
            System.err.println("systemtap: cannot tell this host's kernel and architecture: " + e.getMessage());
            System.exit(1);
            return;
        }
        int code = run(List.of(arguments), host, System.in, System.out, System.err);
        System.out.flush();
        System.exit(code);
    }

    static int run(List<String> arguments, Host host, InputStream in, PrintStream out, PrintStream err) {
        CommandLine line;
        try {
            line = CommandLine.parse(arguments);
        } catch (CommandLine.UsageException e) {
            err.println("systemtap: " + e.getMessage());
            out.print(CommandLine.usage());
            return USAGE;
        }
        ServiceSettings settings;
        ScriptConfigs configs;
        try {
            settings = settings(line.configFile(), host);
            configs = ScriptConfigs.read(settings.configPath());
        } catch (ConfigFileException e) {
            err.println("systemtap: " + e.getMessage());
            return NOT_CONFIGURED;
        }
        String release = line.release()
                .orElse(settings.kernelRelease().isEmpty() ? host.thisHost().sysInfo().release()
                        : settings.kernelRelease());
        if (!RELEASE.matcher(release).matches() || release.equals(".") || release.equals("..")) {
            err.println("systemtap: '" + release + "' is not a kernel release");
            return line.release().isPresent() ? USAGE : NOT_CONFIGURED;
        }
        ServiceLog log;
        try {
            log = ServiceLog.open(settings.logFile(), host.clock(), err);
        } catch (IOException e) {
            err.println("systemtap: cannot write the log " + settings.logFile() + ": " + e.getMessage());
            return ScriptService.FAILED;
        }
        log.log("systemtap " + Words.join(arguments));
        Cache cache = new Cache(settings.cachePath().resolve(release));
        try {
            Catalogue catalogue = Catalogue.load(settings, cache, log);
            Optional<String> problem = dependencyProblem(configs, catalogue);
            if (problem.isPresent()) {
                err.println("systemtap: " + problem.get());
                log.log(problem.get());
                return NOT_CONFIGURED;
            }
            ScriptService service = new ScriptService(settings, host, release, configs, catalogue, cache, log,
                    new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), out, err);
            return switch (line.command()) {
                case "start" -> service.start(line.scripts(), line.recursive());
                case "stop" -> service.stop(line.scripts(), line.recursive(), new ArrayList<>());
                case "restart" -> service.restart(line.scripts(), line.recursive());
                case "condrestart", "try-restart" -> service.condrestart(line.scripts(), line.recursive());
                case "reload", "force-reload" -> service.reload(line.scripts(), line.recursive());
                case "status" -> service.status(line.scripts());
                case "compile" -> service.compile(line.scripts(), line.yes());
                case "cleanup" -> service.cleanup(line.scripts(), line.yes());
                default -> throw new IllegalStateException("CommandLine accepted " + line.command());
            };
        } catch (IOException e) {
            err.println("systemtap: " + e.getMessage());
            log.log(e.toString());
            return ScriptService.FAILED;
        }
    }

    /** Defaults, then the global file: `-c`'s, which must exist, or the default one, which may be missing. */
    private static ServiceSettings settings(Optional<Path> configFile, Host host) throws ConfigFileException {
        Path file = configFile.orElse(host.configFile());
        if (configFile.isEmpty() && !file.toFile().exists()) {
            return ServiceSettings.defaults();
        }
        return ServiceSettings.defaults().with(ConfigFile.parse(file));
    }

    /**
     * The first `_REQ` of a known script that names no known script, or the first dependency cycle (spec §5.6 item
     * 52: reported with the whole cycle).
     */
    private static Optional<String> dependencyProblem(ScriptConfigs configs, Catalogue catalogue) {
        for (String script : new TreeSet<>(configs.allRequirements().keySet())) {
            if (!catalogue.known(script)) {
                continue;
            }
            for (String requirement : configs.requirements(script)) {
                if (!catalogue.known(requirement)) {
                    return Optional.of(script + "_REQ names " + requirement + ", which has no script file ("
                            + catalogue.scriptFile(requirement) + ")");
                }
            }
        }
        return new Dependencies(configs.allRequirements()).cycle().map(cycle -> "Dependency loop detected: " + cycle);
    }
}
