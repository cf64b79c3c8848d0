package org.stapfarm.cli.server;

import java.io.PrintStream;
import java.util.List;
import java.util.Optional;
import org.stapfarm.cli.node.Nodes;
import org.stapfarm.config.ConfigFile.ConfigFileException;
import org.stapfarm.config.ServerOptionsParser;
import org.stapfarm.config.StapServerSettings;
import org.stapfarm.management.ChangeReport;
import org.stapfarm.management.ManagementException;
import org.stapfarm.management.StartRequest;

/**
 * `stap-start-server [daemon options]` (spec §1.12, §2.2): starts one server for the invoking user, with the
 * options as given, and prints its id. Unlike upstream it answers only once the server listens, so a server
 * that cannot start is reported with the reason. It records nothing in the status directory, as upstream.
 */
public final class StapStartServerCommand {

    /** Upstream's wording, also used by `stap-server` for a server that does not start. */
    static final String FAILURE_PREFIX = "Unable to start a systemtap server: ";

    private StapStartServerCommand() {
    }

    public static void main(String[] arguments) {
        Launcher.exit("stap-start-server", arguments, StapStartServerCommand::run);
    }

    /** Runs the command; returns 0 when the server runs, else 1. */
    public static int run(List<String> arguments, Environment environment, Nodes nodes, PrintStream out,
                          PrintStream err) {
        NodeAccess access = new NodeAccess(nodes, environment);
        String user = environment.userName();
        Optional<String> refusal = access.refusal(user);
        if (refusal.isPresent()) {
            err.println(FAILURE_PREFIX + refusal.get());
            return 1;
        }
        try {
            // Checked here as well as in the node, so that a typo does not cost a node start.
            ServerOptionsParser.parse(arguments);
            StapServerSettings settings = Configuration.settings(environment, Optional.empty());
            ChangeReport.Started started = access.start(user, new StartRequest(arguments, ""), settings.logFile());
            if (!started.ok()) {
                err.println(FAILURE_PREFIX + started.error());
                return 1;
            }
            out.println(started.server().id());
            return 0;
        } catch (ServerOptionsParser.InvalidOptionsException | ConfigFileException | ManagementException e) {
            err.println(FAILURE_PREFIX + e.getMessage());
            return 1;
        }
    }
}
