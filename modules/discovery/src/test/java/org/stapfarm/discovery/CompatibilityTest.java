package org.stapfarm.discovery;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.stapfarm.protocol.SysInfo;

/** The stock 4.8 client's rule (protocol section 5.4, vector 11). */
class CompatibilityTest {

    private static final SysInfo TARGET = new SysInfo("6.1.0-54-amd64", "x86_64");

    @Test
    void sameReleaseAndArch() {
        assertTrue(Compatibility.serves("6.1.0-54-amd64 x86_64", TARGET));
    }

    @Test
    void anArchAloneServesEveryRelease() {
        assertTrue(Compatibility.serves("x86_64", TARGET));
    }

    @Test
    void anyDifferenceIsIncompatible() {
        assertFalse(Compatibility.serves("6.1.0-47-amd64 x86_64", TARGET));
        assertFalse(Compatibility.serves("6.1.0-54-amd64 arm64", TARGET));
        assertFalse(Compatibility.serves("arm64", TARGET));
        assertFalse(Compatibility.serves("6.1.0-54-amd64", TARGET));
        assertFalse(Compatibility.serves("6.1.0-54-amd64  x86_64", TARGET));
        assertFalse(Compatibility.serves("", TARGET));
    }
}
