package org.stapfarm.service;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel a module is for: release (`uname -r`), machine (`uname -m`, normalised) and build version
 * (`uname -v`, e.g. `#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)`), which changes when a distribution
 * rebuilds a kernel under the same release. This replaces upstream's `uname -a` of the compiling host, which
 * also held the host name and the running kernel and so made every cache built elsewhere, or for another
 * release, invalid (spec §3.15, §5.6 items 55, 56).
 *
 * @param version empty when unknown: a module built by a compile server, or a build tree that does not say
 */
record KernelIdentity(String release, String machine, String version) {

    /** Where build trees keep `UTS_VERSION`: its own header since Linux 6.0, `compile.h` before. */
    private static final List<String> VERSION_HEADERS =
            List.of("include/generated/utsversion.h", "include/generated/compile.h");
    private static final Pattern UTS_VERSION = Pattern.compile("#define\\s+UTS_VERSION\\s+\"(.*)\"");

    /** The kernel of a build tree; the version is read from its generated headers when they have it. */
    static KernelIdentity ofBuildTree(String release, String machine, Path tree) {
        for (String header : VERSION_HEADERS) {
            try {
                Matcher matcher = UTS_VERSION.matcher(Files.readString(tree.resolve(header), StandardCharsets.UTF_8));
                if (matcher.find()) {
                    return new KernelIdentity(release, machine, matcher.group(1));
                }
            } catch (NoSuchFileException e) {
                // Try the older location.
            } catch (IOException e) {
                break;
            }
        }
        return new KernelIdentity(release, machine, "");
    }

    /**
     * Why a module built for this kernel does not fit {@code target}, or empty when it fits. Versions are compared
     * only when both are known.
     */
    Optional<String> mismatch(KernelIdentity target) {
        if (!release.equals(target.release)) {
            return Optional.of("it was built for kernel release " + release + ", not " + target.release);
        }
        if (!machine.equals(target.machine)) {
            return Optional.of("it was built for machine " + machine + ", not " + target.machine);
        }
        if (!version.isEmpty() && !target.version.isEmpty() && !version.equals(target.version)) {
            return Optional.of("it was built for kernel version '" + version + "', not '" + target.version + "'");
        }
        return Optional.empty();
    }
}
