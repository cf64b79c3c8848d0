package org.stapfarm.cli.discovery;

import org.stapfarm.protocol.ThisHost;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * `stap-find-servers [--all]` (management-tools section 2.4): prints one line per server,
 * `<hostname> <ip> <port> 'sysinfo=<release> <arch>'`, only those compatible with this host unless `--all`;
 * exit status 0 when it printed a line, else 1. Unlike upstream, every argument is parsed (section 5.5
 * item 43): anything but `--all` and `--help` is an error.
 */
public final class FindServers {

    static final String PROGRAM = "stap-find-servers";

    private FindServers() {
    }

    public static void main(String[] args) {
        System.exit(run(List.of(args), System.getenv(), System.out, System.err));
    }

    static int run(List<String> arguments, Map<String, String> environment, PrintStream out, PrintStream err) {
        boolean all = false;
        for (String argument : arguments) {
            switch (argument) {
                case "--all" -> all = true;
                case "--help", "-h" -> {
                    out.println(usage());
                    return 0;
                }
                default -> {
                    err.println(PROGRAM + ": " + (argument.startsWith("-") ? "unrecognized option '" + argument + "'"
                            : "unexpected argument '" + argument + "'"));
                    err.println(usage());
                    return 1;
                }
            }
        }
        try {
            ThisHost host = ThisHost.read();
            ServerFinder finder = ServerFinder.forUser(environment, host);
            int printed = 0;
            for (FoundServer server : finder.find()) {
                if (all || server.serves(host.sysInfo())) {
                    out.println(server.format());
                    printed++;
                }
            }
            return printed > 0 ? 0 : 1;
        } catch (IOException e) {
            err.println(PROGRAM + ": ERROR: " + e.getMessage());
            return 1;
        }
    }

    private static String usage() {
        return "Usage: " + PROGRAM + " [--all]";
    }
}
