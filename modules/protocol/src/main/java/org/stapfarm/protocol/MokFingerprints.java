package org.stapfarm.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The request's `mok_fingerprints` file, checked with the reference server's rule and message text
 * (protocol section 4.6 step 1). Malformed lines are reported and skipped.
 */
final class MokFingerprints {

    /** What the client sends when signing is enforced but it has no server key enrolled. */
    private static final String MISSING = "missing";
    private static final Pattern FINGERPRINT = Pattern.compile("[0-9a-f]{2}(:[0-9a-f]{2})+");

    private MokFingerprints() {
    }

    /** The well-formed lines, `missing` included; a message for each other line is added to {@code messages}. */
    static List<String> parse(byte[] content, List<String> messages) {
        List<String> fingerprints = new ArrayList<>();
        for (String line : Text.lines(content)) {
            if (line.equals(MISSING) || FINGERPRINT.matcher(line).matches()) {
                fingerprints.add(line);
            } else {
                messages.add("MOK fingerprint value '" + line + "' isn't in the correct format");
            }
        }
        return fingerprints;
    }
}
