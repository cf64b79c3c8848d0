package org.stapfarm.cli.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.stapfarm.cli.discovery.FoundServer;
import org.stapfarm.cli.discovery.ServerFinder;
import org.stapfarm.cli.node.Nodes;
import org.stapfarm.config.ServerOptions;
import org.stapfarm.config.ServerOptionsParser;
import org.stapfarm.protocol.SysInfo;
import org.stapfarm.protocol.ThisHost;

/**
 * `stap-find-or-start-server [daemon options]` (spec §2.5): prints `0` when a server for the wanted target
 * already runs, else starts one as `stap-start-server` would and prints its id, else prints `-1`. The exit
 * status is 0 in all three cases, as in the newer of the two manual pages (§5.5 item 41). Unlike upstream,
 * the search looks for the target the options name (`-r`, `-a`), not this host's (§5.5 item 42).
 */
public final class StapFindOrStartServerCommand {

    private StapFindOrStartServerCommand() {
    }

    public static void main(String[] arguments) {
        Launcher.exit("stap-find-or-start-server", arguments, StapFindOrStartServerCommand::run);
    }

    public static int run(List<String> arguments, Environment environment, Nodes nodes, PrintStream out,
                          PrintStream err) {
        try {
            ServerOptions options = ServerOptionsParser.parse(arguments);
            List<FoundServer> found = ServerFinder.forUser(environment.variables(), ThisHost.read()).find();
            if (servesAll(found, targets(options, environment))) {
                out.println("0");
                return 0;
            }
        } catch (ServerOptionsParser.InvalidOptionsException e) {
            err.println(StapStartServerCommand.FAILURE_PREFIX + e.getMessage());
            out.println("-1");
            return 0;
        } catch (IOException e) {
            err.println("stap-find-or-start-server: cannot look for servers: " + e.getMessage());
        }
        ByteArrayOutputStream started = new ByteArrayOutputStream();
        int status = StapStartServerCommand.run(arguments, environment, nodes,
                new PrintStream(started, true, StandardCharsets.UTF_8), err);
        out.println(status == 0 ? started.toString(StandardCharsets.UTF_8).strip() : "-1");
        return 0;
    }

    /** The `sysinfo` of each release the options ask for; build-tree paths are not searched for. */
    private static Set<SysInfo> targets(ServerOptions options, Environment environment) {
        String arch = options.arch() != null ? options.arch() : environment.hostArch();
        List<String> releases = options.releases().isEmpty() ? List.of(environment.runningRelease())
                : options.releases();
        return releases.stream().map(release -> new SysInfo(release, arch)).collect(Collectors.toSet());
    }

    private static boolean servesAll(List<FoundServer> found, Set<SysInfo> targets) {
        return targets.stream().allMatch(target -> found.stream().anyMatch(server -> server.serves(target)));
    }
}
