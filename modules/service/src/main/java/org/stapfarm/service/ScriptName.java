package org.stapfarm.service;

import java.util.regex.Pattern;

/**
 * The rule for script names, applied to every name wherever it comes from (command line, `DEFAULT_START`,
 * `_REQ`, file names; spec §5.6 item 58): a name is a shell variable name, so that `<name>_OPT` and
 * `<name>_REQ` are variable names, and a kernel module name.
 */
final class ScriptName {

    static final String RULE = "[a-zA-Z_][a-zA-Z0-9_]*";
    private static final Pattern VALID = Pattern.compile(RULE);

    private ScriptName() {
    }

    static boolean isValid(String name) {
        return VALID.matcher(name).matches();
    }

    /** The log and error line for an invalid name, in upstream's words. */
    static String invalid(String name) {
        return name + " is not a valid script name (must match " + RULE + ")";
    }
}
