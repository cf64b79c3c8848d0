package org.stapfarm.cli.server;

import java.io.PrintStream;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.stapfarm.cli.node.Nodes;
import org.stapfarm.cli.server.NodeAccess.Liveness;
import org.stapfarm.cli.server.NodeAccess.State;
import org.stapfarm.cli.server.Registry.Entry;
import org.stapfarm.config.ConfigFile.ConfigFileException;
import org.stapfarm.config.StapServerSettings;
import org.stapfarm.management.ChangeReport;
import org.stapfarm.management.ManagementException;

/**
 * `stap-stop-server ID` (spec §1.12, §2.3): stops the server with that id, after it has answered the requests
 * it accepted. The id must be one a node lists: nothing else is ever signalled (§5 items 21, 22 and 24).
 * The server is looked for on the invoking user's node and, for root, also on the node of the user its
 * status file names.
 */
public final class StapStopServerCommand {

    private StapStopServerCommand() {
    }

    public static void main(String[] arguments) {
        Launcher.exit("stap-stop-server", arguments, StapStopServerCommand::run);
    }

    /** Runs the command; returns 0 when the server stopped, else 1. */
    public static int run(List<String> arguments, Environment environment, Nodes nodes, PrintStream out,
                          PrintStream err) {
        if (arguments.size() != 1) {
            err.println("Usage: stap-stop-server PROCESS_ID");
            return 1;
        }
        String text = arguments.get(0);
        if (!text.matches("[0-9]{1,18}")) {
            err.println(text + " is not a systemtap server");
            return 1;
        }
        long id = Long.parseLong(text);
        StapServerSettings settings;
        Set<String> users = new LinkedHashSet<>(List.of(environment.userName()));
        try {
            settings = Configuration.settings(environment, Optional.empty());
            if (environment.isRoot()) {
                new Registry(settings.statPath()).entries().stream().filter(entry -> entry.id() == id)
                        .map(Entry::spec).forEach(spec -> users.add(spec.user()));
            }
        } catch (ConfigFileException e) {
            err.println("stap-stop-server: " + e.getMessage());
            return 1;
        }
        NodeAccess access = new NodeAccess(nodes, environment);
        for (String user : users) {
            Liveness liveness = access.liveness(user, id);
            if (liveness.state() == State.UNKNOWN) {
                err.println("stap-stop-server: " + liveness.reason());
            } else if (liveness.state() == State.RUNNING) {
                return stop(access, user, id, settings, err);
            }
        }
        err.println(id + " is not a systemtap server");
        return 1;
    }

    private static int stop(NodeAccess access, String user, long id, StapServerSettings settings, PrintStream err) {
        try {
            ChangeReport.Stopped stopped = access.stop(user, id, settings.logFile());
            if (stopped.ok()) {
                return 0;
            }
            err.println(id + " not shutting down: " + stopped.error());
        } catch (ManagementException e) {
            err.println(id + " not shutting down: " + e.getMessage());
        }
        return 1;
    }
}
