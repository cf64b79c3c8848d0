package org.stapfarm.cli.server;

import java.io.PrintStream;
import java.util.List;
import org.stapfarm.cli.node.LocalNodes;
import org.stapfarm.cli.node.Nodes;

/** What the `main` methods of the commands share: the host's environment and this host's nodes. */
final class Launcher {

    /** The testable body of a command. */
    interface Command {
        int run(List<String> arguments, Environment environment, Nodes nodes, PrintStream out, PrintStream err);
    }

    private Launcher() {
    }

    static void exit(String name, String[] arguments, Command command) {
        Environment environment;
        try {
            environment = Environment.system();
        } catch (IllegalStateException e) {
            System.err.println(name + ": " + e.getMessage());
            System.exit(1);
            return;
        }
        int code = command.run(List.of(arguments), environment, LocalNodes.ofThisDistribution(), System.out,
                System.err);
        System.out.flush();
        System.exit(code);
    }
}
