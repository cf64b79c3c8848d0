package org.stapfarm.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the server refuses in a client's translator arguments although the translator would accept it
 * (protocol section 2.5). The translator runs in the unpacked request directory and opens the script and
 * every `-I`/`-R` directory it is given, so a path outside that directory would make it read server files
 * and echo them in its error messages; and `--sign-module` would make it sign with a key of the client's
 * choosing. The real client sends only relative `script/...` and `tapset/...` paths and never
 * `--sign-module`, so none of this refuses a real request.
 */
public final class ArgumentPolicy {

    /** Where the real client puts the script; it names a missing script file there without sending it. */
    private static final String SCRIPT_TREE = "script/";
    /** The translator's name for standard input, which the server connects to nothing. */
    private static final String STDIN = "-";

    private ArgumentPolicy() {
    }

    /**
     * One user-facing line per problem; empty when the arguments may be run.
     *
     * @param requestFiles the paths of the request's {@link RequestFile}s
     */
    public static List<String> violations(TranslatorArguments arguments, Set<String> requestFiles) {
        List<String> violations = new ArrayList<>();
        arguments.script().flatMap(script -> scriptViolation(script, requestFiles)).ifPresent(violations::add);
        for (String directory : arguments.includeDirectories()) {
            directoryViolation("-I", directory).ifPresent(violations::add);
        }
        for (String directory : arguments.runtimeDirectories()) {
            directoryViolation("-R", directory).ifPresent(violations::add);
        }
        if (arguments.signModule()) {
            violations.add("--sign-module is reserved to the server, which signs modules itself");
        }
        return violations;
    }

    private static Optional<String> scriptViolation(String script, Set<String> requestFiles) {
        if (script.equals(STDIN)) {
            return Optional.empty();
        }
        Optional<String> inside = insideRequest(script);
        if (inside.isEmpty()) {
            return Optional.of("script path " + Text.quote(script)
                    + " is outside the request; only files sent with the request can be compiled");
        }
        if (requestFiles.contains(inside.get()) || inside.get().startsWith(SCRIPT_TREE)) {
            return Optional.empty();
        }
        return Optional.of("script path " + Text.quote(script) + " does not name a file sent with the request");
    }

    private static Optional<String> directoryViolation(String option, String directory) {
        if (insideRequest(directory).isPresent()) {
            return Optional.empty();
        }
        return Optional.of(option + " directory " + Text.quote(directory)
                + " is outside the request; only directories sent with the request can be used");
    }

    /**
     * The path relative to the request directory that {@code path} resolves to, or empty when it is absolute
     * or climbs out. Resolving by name is exact here: the request directory holds no symbolic links.
     */
    private static Optional<String> insideRequest(String path) {
        if (path.startsWith("/")) {
            return Optional.empty();
        }
        List<String> components = new ArrayList<>();
        for (String component : path.split("/")) {
            if (component.equals("..")) {
                if (components.isEmpty()) {
                    return Optional.empty();
                }
                components.remove(components.size() - 1);
            } else if (!component.isEmpty() && !component.equals(".")) {
                components.add(component);
            }
        }
        return Optional.of(String.join("/", components));
    }
}
