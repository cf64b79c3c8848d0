package org.stapfarm.service;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * `systemtap COMMAND [OPTION]... [SCRIPT]...` (spec §3.1): the command first, then `-c CONFIG`, `-r RELEASE`, `-R`
 * and `-y` in getopt's manner (`r:c:Ry`: values attached or in the next word, flags clustered, options and
 * scripts interleaved, `--` ending the options). Unlike upstream, script names are validated (§5.6 item 58) and
 * `-r` is refused where it has no meaning: a module built for another kernel cannot be started, stopped or
 * watched on this one (§5.6 item 49).
 */
record CommandLine(String command, Optional<Path> configFile, Optional<String> release, boolean recursive,
                   boolean yes, List<String> scripts) {

    static final List<String> COMMANDS = List.of("start", "stop", "restart", "condrestart", "try-restart", "reload",
            "force-reload", "status", "compile", "cleanup");
    private static final List<String> WITH_RELEASE = List.of("compile", "cleanup");

    /** A command line that cannot be run; the message says why. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    CommandLine {
        scripts = List.copyOf(scripts);
    }

    static CommandLine parse(List<String> arguments) throws UsageException {
        if (arguments.isEmpty()) {
            throw new UsageException("no command given");
        }
        String command = arguments.get(0);
        if (!COMMANDS.contains(command)) {
            throw new UsageException("unknown command '" + command + "'");
        }
        Path configFile = null;
        String release = null;
        boolean recursive = false;
        boolean yes = false;
        List<String> scripts = new ArrayList<>();
        boolean options = true;
        for (int i = 1; i < arguments.size(); i++) {
            String word = arguments.get(i);
            if (!options || !word.startsWith("-") || word.equals("-")) {
                scripts.add(word);
                continue;
            }
            if (word.equals("--")) {
                options = false;
                continue;
            }
            for (int at = 1; at < word.length(); at++) {
                char letter = word.charAt(at);
                if (letter == 'R') {
                    recursive = true;
                } else if (letter == 'y') {
                    yes = true;
                } else if (letter == 'c' || letter == 'r') {
                    String value;
                    if (at + 1 < word.length()) {
                        value = word.substring(at + 1);
                    } else if (i + 1 < arguments.size()) {
                        value = arguments.get(++i);
                    } else {
                        throw new UsageException("option -" + letter + " needs a value");
                    }
                    if (value.isEmpty()) {
                        throw new UsageException("option -" + letter + " needs a value");
                    }
                    if (letter == 'c') {
                        configFile = Path.of(value);
                    } else {
                        release = value;
                    }
                    break;
                } else {
                    throw new UsageException("invalid option -" + letter);
                }
            }
        }
        if (release != null && !WITH_RELEASE.contains(command)) {
            throw new UsageException("-r applies to compile and cleanup only: " + command
                    + " acts on the running kernel");
        }
        for (String script : scripts) {
            if (!ScriptName.isValid(script)) {
                throw new UsageException(ScriptName.invalid(script));
            }
        }
        return new CommandLine(command, Optional.ofNullable(configFile), Optional.ofNullable(release), recursive, yes,
                scripts);
    }

    static String usage() {
        return "Usage: systemtap {" + String.join("|", COMMANDS) + "} [option]... [script]...\n"
                + "Options:\n"
                + "  -c configfile    : read this global configuration instead of " + ServiceSettings.DEFAULT_FILE
                + "\n"
                + "  -r kernelrelease : compile or clean up the caches of this kernel release (compile, cleanup)\n"
                + "  -R               : also act on the scripts the named ones require (start, stop, restart)\n"
                + "  -y               : answer yes to every question (compile, cleanup)\n";
    }
}
