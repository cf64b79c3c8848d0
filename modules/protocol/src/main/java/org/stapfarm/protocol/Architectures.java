package org.stapfarm.protocol;

/**
 * The architecture names clients put in `sysinfo` and servers advertise: `uname -m` squashed the way the
 * kernel's top-level Makefile derives `SUBARCH` (protocol section 2.2; `normalize_machine` in `util.cxx`).
 */
public final class Architectures {

    private Architectures() {
    }

    public static String normalize(String unameMachine) {
        return switch (unameMachine) {
            case "i486", "i586", "i686" -> "i386";
            case "sun4u" -> "sparc64";
            case "sa110" -> "arm";
            case "s390x" -> "s390";
            case "aarch64" -> "arm64";
            case "riscv64" -> "riscv";
            default -> byPrefix(unameMachine);
        };
    }

    private static String byPrefix(String machine) {
        if (machine.startsWith("arm")) {
            return "arm";
        } else if (machine.startsWith("ppc")) {
            return "powerpc";
        } else if (machine.startsWith("mips")) {
            return "mips";
        } else if (machine.startsWith("sh2") || machine.startsWith("sh3") || machine.startsWith("sh4")) {
            return "sh";
        }
        return machine;
    }
}
