package org.stapfarm.protocol;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The request's `locale` file, checked line by line with the reference server's rules and message texts
 * (protocol section 4.7). Bad lines are reported and skipped; none of them stops the compile.
 */
final class ClientLocale {

    /** The variables the client may send; anything else could steer the translator's environment. */
    private static final Set<String> NAMES = Set.of("LANG", "LC_ALL", "LC_COLLATE", "LC_CTYPE", "LC_MESSAGES",
            "LC_MONETARY", "LC_NUMERIC", "LC_TIME");
    private static final Pattern VALUE = Pattern.compile("[a-zA-Z0-9@_.=-]*");

    private ClientLocale() {
    }

    /**
     * The accepted variables, later lines overriding earlier ones; a message for each rejected line is
     * added to {@code messages}.
     */
    static Map<String, String> parse(byte[] content, List<String> messages) {
        Map<String, String> accepted = new LinkedHashMap<>();
        for (String line : Text.lines(content)) {
            int equals = line.indexOf('=');
            if (equals < 0) {
                messages.add("Localization key=value line '" + line + "' cannot be parsed");
                continue;
            }
            String name = line.substring(0, equals);
            String value = line.substring(equals + 1);
            if (!NAMES.contains(name)) {
                messages.add("Localization key '" + name + "' not found in global list");
            } else if (!VALUE.matcher(value).matches()) {
                messages.add("Localization value '" + value + "' contains illegal characters");
            } else {
                accepted.put(name, value);
            }
        }
        return accepted;
    }
}
