package org.stapfarm.cli.server;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import org.stapfarm.cli.node.Nodes;
import org.stapfarm.management.ManagementException;
import org.stapfarm.management.NodeManagement;

/**
 * What the `main` methods of the commands share: the host's environment and the installed {@link Nodes},
 * found through {@link ServiceLoader} so that these commands do not depend on how nodes are launched.
 */
final class Launcher {

    /** The testable body of a command. */
    interface Command {
        int run(List<String> arguments, Environment environment, Nodes nodes, PrintStream out, PrintStream err);
    }

    /** Looked up on first use, so that usage, option and configuration errors are reported without one. */
    private static final class InstalledNodes implements Nodes {
        private Nodes installed;

        private Nodes installed() throws ManagementException {
            if (installed == null) {
                installed = ServiceLoader.load(Nodes.class).findFirst().orElseThrow(() -> new ManagementException(
                        "this installation has no " + Nodes.class.getName() + " to reach nodes with"));
            }
            return installed;
        }

        @Override
        public Optional<NodeManagement> find(String user) throws ManagementException {
            return installed().find(user);
        }

        @Override
        public NodeManagement findOrStart(String user, Path logFile) throws ManagementException {
            return installed().findOrStart(user, logFile);
        }
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
        int code = command.run(List.of(arguments), environment, new InstalledNodes(), System.out, System.err);
        System.out.flush();
        System.exit(code);
    }
}
