package org.stapfarm.compiler;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.stapfarm.protocol.ThisHost;

/** Finds the kernel build tree for a release, the way `stap-serverd -r` does. */
public final class BuildTargets {

    /** Where kernel packages link each release's build tree: `<root>/<release>/build`. */
    public static final Path MODULES_ROOT = Path.of("/lib/modules");

    // Releases end up in a file system path, so nothing that could climb out of the modules root.
    private static final Pattern RELEASE = Pattern.compile("[A-Za-z0-9_.+~-]+");

    private BuildTargets() {
    }

    /** {@link #resolve(String, String, Path)} against {@link #MODULES_ROOT}. */
    public static BuildTarget resolve(String releaseOrPath, String arch) throws CompilerSetupException {
        return resolve(releaseOrPath, arch, MODULES_ROOT);
    }

    /**
     * Resolves a `-r` value: one starting with `/` is a build tree whose release is read from
     * `include/config/kernel.release`; anything else is a release whose tree is
     * `<modulesRoot>/<release>/build`. The tree must exist now; whether it can build modules is left to
     * the translator, which reports that per request.
     */
    public static BuildTarget resolve(String releaseOrPath, String arch, Path modulesRoot)
            throws CompilerSetupException {
        if (releaseOrPath.startsWith("/")) {
            Path tree = Path.of(releaseOrPath).normalize();
            return new BuildTarget(releaseOf(tree), arch, tree, true);
        }
        if (!RELEASE.matcher(releaseOrPath).matches() || releaseOrPath.equals(".") || releaseOrPath.equals("..")) {
            throw new CompilerSetupException("'" + printable(releaseOrPath) + "' is not a kernel release");
        }
        Path tree = modulesRoot.resolve(releaseOrPath).resolve("build");
        if (!Files.isDirectory(tree)) {
            throw new CompilerSetupException("no kernel build tree for release " + releaseOrPath + " at " + tree
                    + "; install linux-headers-" + releaseOrPath + " or pass -r /path/to/tree");
        }
        return new BuildTarget(releaseOrPath, arch, tree, false);
    }

    /** The running kernel's release, as `uname -r` prints it. */
    public static String runningRelease() throws CompilerSetupException {
        return thisHost().sysInfo().release();
    }

    /** The architecture this host builds for, as `sysinfo` names it (`uname -m`, normalised). */
    public static String hostArchitecture() throws CompilerSetupException {
        return thisHost().sysInfo().arch();
    }

    private static ThisHost thisHost() throws CompilerSetupException {
        try {
            return ThisHost.read();
        } catch (IOException e) {
            throw new CompilerSetupException("cannot tell this host's kernel and architecture: " + e.getMessage(), e);
        }
    }

    private static String releaseOf(Path tree) throws CompilerSetupException {
        Path file = tree.resolve("include/config/kernel.release");
        String release;
        try {
            release = Files.readString(file, StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            throw new CompilerSetupException("cannot read the kernel release of build tree " + tree + " from "
                    + file + "; is it a configured kernel build tree?", e);
        }
        if (!RELEASE.matcher(release).matches()) {
            throw new CompilerSetupException(file + " does not hold a kernel release");
        }
        return release;
    }

    private static String printable(String text) {
        return text.replaceAll("\\p{Cntrl}", "?");
    }
}
