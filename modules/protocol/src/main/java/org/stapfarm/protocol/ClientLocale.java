package org.stapfarm.protocol;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The request's `locale` file, checked line by line with the reference server's rules and message texts
 * (protocol section 4.7). Bad lines are reported and skipped; none of them stops the compile. The client
 * side ({@link #fromEnvironment}, {@link #encode}) writes it as the stock client does (protocol section 2.2).
 */
public final class ClientLocale {

    /**
     * The variables the client may send, in the order the stock client writes them; anything else could steer
     * the translator's environment.
     */
    private static final List<String> NAMES = List.of("LANG", "LC_ALL", "LC_COLLATE", "LC_CTYPE", "LC_MESSAGES",
            "LC_MONETARY", "LC_NUMERIC", "LC_TIME");
    private static final Pattern VALUE = Pattern.compile("[a-zA-Z0-9@_.=-]*");

    private ClientLocale() {
    }

    /** The locale variables set in {@code environment}, in the stock client's order. */
    public static Map<String, String> fromEnvironment(Map<String, String> environment) {
        Map<String, String> locale = new LinkedHashMap<>();
        for (String name : NAMES) {
            String value = environment.get(name);
            if (value != null) {
                locale.put(name, value);
            }
        }
        return locale;
    }

    /** The file's content: one `NAME=value` line for each variable, in the stock client's order. */
    static byte[] encode(Map<String, String> locale) {
        StringBuilder text = new StringBuilder();
        for (String name : NAMES) {
            String value = locale.get(name);
            if (value != null) {
                text.append(name).append('=').append(value).append('\n');
            }
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
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
