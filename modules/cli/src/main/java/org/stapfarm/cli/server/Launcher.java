package org.stapfarm.cli.server;

import java.io.PrintStream;
import java.util.List;
import java.util.ServiceLoader;
import org.stapfarm.cli.node.Nodes;

/**
 * What the `main` methods of the commands share: the host's environment and the installed {@link Nodes},
 * found through {@link ServiceLoader} so that these commands do not depend on how nodes are launched.
 */
final class Launcher {

    /** The testable body of a command. */
    interface Command {
        int run(List<String> arguments, Environment environment, Nodes nodes, PrintStream out, PrintStream err);
    }

    private Launcher() {
    }

    static void exit(String name, String[] arguments, Command command) {
        Nodes nodes;
        Environment environment;
        try {
            nodes = ServiceLoader.load(Nodes.class).findFirst().orElseThrow(() -> new IllegalStateException(
                    "this installation has no " + Nodes.class.getName() + " to reach nodes with"));
            environment = Environment.system();
        } catch (IllegalStateException e) {
            System.err.println(name + ": " + e.getMessage());
            System.exit(1);
            return;
        }
        int code = command.run(List.of(arguments), environment, nodes, System.out, System.err);
        System.out.flush();
        System.exit(code);
    }
}
