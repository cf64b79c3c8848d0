package org.stapfarm.discovery;

import java.io.IOException;

/** Where compile servers advertise themselves: {@link DnsSdResponder} on the network, a fake in tests. */
public interface DnsSdPublisher {

    /** Puts one `_stap._tcp` instance on the air for {@code txt}'s target, at {@code port}; blocks until it is. */
    Publication publish(int port, StapTxtRecord txt) throws IOException;

    /** One published instance. */
    interface Publication {

        /** Takes it off the air, saying goodbye so that caches drop it at once. */
        void withdraw();
    }
}
