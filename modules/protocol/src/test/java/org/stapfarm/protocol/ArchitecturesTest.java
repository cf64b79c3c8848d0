package org.stapfarm.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ArchitecturesTest {

    @ParameterizedTest
    @CsvSource({
        "i486, i386", "i586, i386", "i686, i386", "sun4u, sparc64", "armv7l, arm", "arm, arm", "sa110, arm",
        "s390x, s390", "aarch64, arm64", "riscv64, riscv", "ppc64le, powerpc", "ppc, powerpc", "mips64, mips",
        "sh4a, sh", "sh2, sh", "sh3eb, sh", "x86_64, x86_64", "i386, i386", "s390, s390", "sparc64, sparc64",
        "loongarch64, loongarch64", "sh5, sh5"
    })
    void normalize(String machine, String expected) {
        assertEquals(expected, Architectures.normalize(machine));
    }
}
