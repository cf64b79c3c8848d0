package org.stapfarm.node.routing;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.stapfarm.node.CborSerializable;

/**
 * What a worker pool can build: modules for one architecture, for these kernel releases, with one build
 * profile. Two pools with the same profile produce the same result for the same request.
 *
 * @param profile a digest of the server options that change what the translator produces
 *                (`-a`, `-B`, `-D`, `-I`, `-R`)
 */
public record BuildCapabilities(String arch, List<String> releases, String profile) implements CborSerializable {

    public BuildCapabilities {
        releases = List.copyOf(releases);
    }

    public static String profileOf(List<String> translatorOptions) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (String option : translatorOptions) {
                digest.update(option.getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
            }
            return HexFormat.of().formatHex(digest.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    public boolean builds(String requestedArch, String release, String requestedProfile) {
        return arch.equals(requestedArch) && profile.equals(requestedProfile) && releases.contains(release);
    }
}
