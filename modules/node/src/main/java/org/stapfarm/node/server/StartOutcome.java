package org.stapfarm.node.server;

import java.util.List;

/** How starting one compile server ended. */
sealed interface StartOutcome {

    /**
     * Listening on `port` with the certificate whose serial is `certinfo` (`certificate`: its DER in base64),
     * building for `arch`/`releases`.
     */
    record Started(int port, String certinfo, String certificate, String arch, List<String> releases)
            implements StartOutcome {
    }

    /** Not started; `message` says why, in words for the administrator. */
    record Failed(String message) implements StartOutcome {
    }
}
