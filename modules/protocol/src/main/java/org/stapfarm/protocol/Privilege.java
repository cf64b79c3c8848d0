package org.stapfarm.protocol;

/**
 * The privilege a client asks the translator to check its script against (`--privilege=...`). Below
 * {@link #STAPDEV} the server signs the module so that `staprun` lets a non-root user load it.
 */
public enum Privilege {
    STAPUSR,
    STAPSYS,
    STAPDEV
}
