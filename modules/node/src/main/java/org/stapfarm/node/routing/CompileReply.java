package org.stapfarm.node.routing;

import org.stapfarm.node.CborSerializable;
import org.stapfarm.protocol.CompileResult;

/** The answer to one routed compile request, whichever node produced it. */
public record CompileReply(CompileResult result) implements CborSerializable {
}
