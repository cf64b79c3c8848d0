package org.stapfarm.node.routing;

import org.stapfarm.node.CborSerializable;

/** What a worker pool of another node answers to a request routed to it. */
public sealed interface RemoteReply extends RemoteCompile.Command, CborSerializable {

    /** The encoded {@link org.stapfarm.protocol.CompileResult}. */
    record Result(Payload result) implements RemoteReply {
    }

    /** The pool did not take the request (its node is draining, say); another pool may. */
    record Declined(String reason) implements RemoteReply {
    }
}
