package org.stapfarm.node.server;

import org.stapfarm.node.CborSerializable;

/** How starting one compile server ended. */
public sealed interface StartOutcome extends CborSerializable {

    String name();

    /** Listening on `port` with the certificate whose serial is `certinfo`. */
    record Started(String name, int port, String certinfo) implements StartOutcome {
    }

    /** Not started; `message` says why, in words for the administrator. */
    record Failed(String name, String message) implements StartOutcome {
    }
}
