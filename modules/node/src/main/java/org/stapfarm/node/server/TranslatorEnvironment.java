package org.stapfarm.node.server;

import java.util.HashMap;
import java.util.Map;

/**
 * The environment each translator run starts from: the node's own, less what the launcher added for the
 * JVM alone. bin/stap-serverd sets LC_CTYPE=C.UTF-8 so that the JVM passes non-ASCII arguments intact,
 * and records the caller's value in STAPFARM_LAUNCHER_LC_CTYPE ("unset" when there was none).
 */
final class TranslatorEnvironment {

    static final String LAUNCHER_LC_CTYPE = "STAPFARM_LAUNCHER_LC_CTYPE";

    private TranslatorEnvironment() {
    }

    static Map<String, String> of(Map<String, String> nodeEnvironment) {
        Map<String, String> environment = new HashMap<>(nodeEnvironment);
        String original = environment.remove(LAUNCHER_LC_CTYPE);
        if ("unset".equals(original)) {
            environment.remove("LC_CTYPE");
        } else if (original != null) {
            environment.put("LC_CTYPE", original);
        }
        return environment;
    }
}
