package org.stapfarm.node;

/** Marks messages that may cross nodes; bound to Jackson CBOR in application.conf. */
public interface CborSerializable {
}
