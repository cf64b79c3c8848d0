package org.stapfarm.discovery;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * DNS-SD instance names as the reference server's avahi makes them (protocol section 5.1):
 * `Systemtap Compile Server on <host>`, and on a collision the same name with ` #2`, ` #3`, ... Every name
 * fits one DNS label of 63 bytes: the host part is cut to leave room for the number.
 */
final class InstanceNames {

    static final int MAX_LABEL = 63;
    private static final String PREFIX = "Systemtap Compile Server on ";
    private static final Pattern NUMBERED = Pattern.compile("(.*) #([0-9]{1,9})");

    private InstanceNames() {
    }

    static String of(String hostName) {
        return Utf8.truncate(PREFIX + hostName, MAX_LABEL);
    }

    /** The name to try after {@code name} collided. */
    static String next(String name) {
        Matcher numbered = NUMBERED.matcher(name);
        String base = numbered.matches() ? numbered.group(1) : name;
        String suffix = " #" + (numbered.matches() ? Integer.parseInt(numbered.group(2)) + 1 : 2);
        return Utf8.truncate(base, MAX_LABEL - Utf8.length(suffix)) + suffix;
    }
}
