package org.stapfarm.cli.server;

import java.io.PrintStream;
import java.util.List;
import org.stapfarm.cli.node.Nodes;
import org.stapfarm.cli.server.ServerCommandLine.InvalidCommandLineException;
import org.stapfarm.config.ConfigFile.ConfigFileException;
import org.stapfarm.config.ServerOptionsParser;
import org.stapfarm.config.StapServerSettings;

/**
 * `stap-server ACTION [OPTION...]`: starts, stops and reports compile servers (spec §1), as a thin client of
 * the nodes. See docs/stap-server.md for what differs from upstream.
 */
public final class StapServerCommand {

    private static final List<String> ACTIONS =
            List.of("start", "stop", "restart", "condrestart", "try-restart", "force-reload", "status");
    private static final int INVALID_ARGUMENTS = 2;
    private static final int NOT_IMPLEMENTED = 3;

    private StapServerCommand() {
    }

    public static void main(String[] arguments) {
        Launcher.exit("stap-server", arguments, StapServerCommand::run);
    }

    /** Runs the command; returns its exit code (§1.11). */
    public static int run(List<String> arguments, Environment environment, Nodes nodes, PrintStream out,
                          PrintStream err) {
        String action = arguments.isEmpty() ? "" : arguments.get(0);
        if (!ACTIONS.contains(action) && !action.equals("reload")) {
            err.print(usage(environment));
            return INVALID_ARGUMENTS;
        }
        ServerCommandLine commandLine;
        try {
            commandLine = ServerCommandLine.parse(arguments.subList(1, arguments.size()), environment);
        } catch (InvalidCommandLineException e) {
            err.println("stap-server: " + e.getMessage());
            err.println("Run stap-server without arguments for its usage.");
            return INVALID_ARGUMENTS;
        }
        boolean selects = commandLine.nickname().isPresent() || commandLine.id().isPresent();
        if ((action.equals("stop") || action.equals("status")) && selects && commandLine.hasServerOptions()) {
            err.println("stap-server: " + action + " -n/-p acts on the selected server as it is; other server"
                    + " options have no meaning there");
            return INVALID_ARGUMENTS;
        }
        if (commandLine.json() && !action.equals("status")) {
            err.println("stap-server: --json is an option of status only");
            return INVALID_ARGUMENTS;
        }
        if (action.equals("reload")) {
            out.print("\n");
            return NOT_IMPLEMENTED;
        }
        StapServerSettings settings;
        try {
            settings = Configuration.settings(environment, commandLine.configFile());
        } catch (ConfigFileException e) {
            err.println("stap-server: " + e.getMessage());
            return ServerActions.FAILURE;
        }
        return new ServerActions(environment, settings, commandLine, new NodeAccess(nodes, environment), out, err)
                .run(action);
    }

    /** The usage text, with the defaults that apply to this user (§5 item 9). */
    static String usage(Environment environment) {
        StapServerSettings defaults = environment.defaultSettings();
        return "Usage: stap-server {" + String.join("|", ACTIONS) + "} [OPTION...]\n"
                + "\n"
                + "Options (without any, start acts on the servers of CONFIG_PATH, or else on a default server):\n"
                + "  -a ARCH              architecture to build for (default: " + environment.hostArch() + ")\n"
                + "  -r RELEASE|TREE      kernel release or build tree; repeatable (default: the running kernel, "
                + environment.runningRelease() + ")\n"
                + "  -i                   every kernel release in " + environment.modulesDirectory() + " with a build tree\n"
                + "  -I PATH              tapset directory; repeatable\n"
                + "  -D NAME[=VALUE]      macro for the generated C; repeatable\n"
                + "  -B OPTION            option for the kernel build's make; repeatable\n"
                + "  -R PATH              runtime directory\n"
                + "  -u USER              the server's user (default: STAP_USER, else you: "
                + environment.defaultUser(defaults) + ")\n"
                + "  -n NICKNAME          select the server with this nickname, or name a new one\n"
                + "  -p ID                select the server with this id\n"
                + "  -c FILE              global configuration, read after " + environment.systemConfigFile() + "\n"
                + "  -k                   keep each request's temporary directory\n"
                + "  -P                   accepted for compatibility (stapfarm keys have no password)\n"
                + "  --log FILE           the server's log (default: LOG_FILE, " + defaults.logFile() + ")\n"
                + "  --port NUMBER        the server's port (default: any free port)\n"
                + "  --ssl DIRECTORY      certificate directory (default: $SYSTEMTAP_DIR/ssl/server of the"
                + " server's user, ~USER/.systemtap/ssl/server)\n"
                + "  --max-threads N      translators run at once (default: the number of CPUs)\n"
                + "  --max-request-size BYTES        largest unpacked request (default: "
                + ServerOptionsParser.DEFAULT_MAX_REQUEST_SIZE + ")\n"
                + "  --max-compressed-request BYTES  largest request as sent (default: "
                + ServerOptionsParser.DEFAULT_MAX_COMPRESSED_REQUEST + ")\n"
                + "  --json               status only: the servers, and the node each runs on, as JSON\n"
                + "\n"
                + "Locations (CONFIG_PATH, STAT_PATH, LOG_FILE; change them in the global configuration):\n"
                + "  " + defaults.configPath() + ", " + defaults.statPath() + ", " + defaults.logFile() + "\n";
    }
}
