package org.stapfarm.compiler;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A kernel the server builds modules for, and the build tree it builds them with.
 *
 * @param release    the kernel release, as `uname -r` prints it on the target
 * @param arch       the target architecture, in the client's normalised spelling
 * @param buildTree  the configured kernel build tree (`/lib/modules/<release>/build` unless given as a path)
 * @param givenAsPath whether the operator named the build tree rather than the release
 */
public record BuildTarget(String release, String arch, Path buildTree, boolean givenAsPath) {

    public BuildTarget {
        Objects.requireNonNull(release, "release");
        Objects.requireNonNull(arch, "arch");
        Objects.requireNonNull(buildTree, "buildTree");
    }

    /**
     * What the translator gets after `-r`. A tree outside `/lib/modules` can only be found by its path;
     * a plain release lets the translator look the tree up itself, exactly as for the reference server.
     */
    public String translatorReleaseArgument() {
        return givenAsPath ? buildTree.toString() : release;
    }
}
