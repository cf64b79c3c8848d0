package org.stapfarm.discovery;

import org.stapfarm.protocol.SysInfo;

/**
 * Whether an advertised server builds for a target, by the stock 4.8 client's rule (protocol section 5.4):
 * its `sysinfo` is `<release> <arch>` of the target, or the arch alone, which stands for every release.
 * The client's further rule on machine owner keys does not apply here: stapfarm's clients send none.
 */
public final class Compatibility {

    private Compatibility() {
    }

    public static boolean serves(String advertisedSysinfo, SysInfo target) {
        return advertisedSysinfo.equals(target.format()) || advertisedSysinfo.equals(target.arch());
    }
}
