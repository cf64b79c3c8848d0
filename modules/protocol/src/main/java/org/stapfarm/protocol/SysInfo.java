package org.stapfarm.protocol;

import java.util.Objects;

/** The target a client asks for: the `sysinfo` file of a request and the `sysinfo` TXT key of an advertisement. */
public record SysInfo(String release, String arch) {

    public SysInfo {
        Objects.requireNonNull(release, "release");
        Objects.requireNonNull(arch, "arch");
    }

    /** The wire form, `<release> <arch>`, without the `sysinfo: ` prefix the request file carries. */
    public String format() {
        return release + " " + arch;
    }
}
