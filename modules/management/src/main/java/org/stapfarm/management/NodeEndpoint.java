package org.stapfarm.management;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * Where a node's management API listens and the token that opens it. The node writes it to
 * `node.json` in its private directory (0700, file 0600), so only the node's user (and root) can read the
 * token and talk to the node; the API itself binds to the loopback address only.
 *
 * @param port  the loopback port of the API
 * @param token the bearer token every call must carry
 * @param pid   the node's process id
 */
public record NodeEndpoint(int port, String token, long pid) {

    private static final String FILE_NAME = "node.json";

    public static NodeEndpoint create(int port, long pid) {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return new NodeEndpoint(port, HexFormat.of().formatHex(secret), pid);
    }

    /**
     * The directory of the node of the user whose SystemTap directory is {@code systemtapDirectory}
     * (`$SYSTEMTAP_DIR`, by default `~/.systemtap`).
     */
    public static Path nodeDirectory(Path systemtapDirectory) {
        return systemtapDirectory.resolve("stapfarm").resolve("node");
    }

    /**
     * The current user's SystemTap directory as the stock tools find it: `$SYSTEMTAP_DIR`, else
     * `$HOME/.systemtap`, the home directory of the user database only when HOME is unset.
     */
    public static Path systemtapDirectory(Map<String, String> environment) {
        String configured = environment.get("SYSTEMTAP_DIR");
        if (configured != null && !configured.isEmpty()) {
            return Path.of(configured);
        }
        String home = environment.get("HOME");
        return Path.of(home != null && !home.isEmpty() ? home : System.getProperty("user.home"), ".systemtap");
    }

    /** Reads the endpoint a node published in {@code nodeDirectory}; empty when there is none. */
    public static Optional<NodeEndpoint> read(Path nodeDirectory) throws ManagementException {
        Path file = nodeDirectory.resolve(FILE_NAME);
        try {
            // Read first: a missing file must not pay for setting up the JSON mapper.
            String json = Files.readString(file);
            return Optional.of(ManagementJson.MAPPER.readValue(json, NodeEndpoint.class));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ManagementException("cannot read the node endpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /** Publishes this endpoint in {@code nodeDirectory}, replacing any earlier one in one step. */
    public void publish(Path nodeDirectory) throws IOException {
        Path temporary = Files.createTempFile(nodeDirectory, FILE_NAME, ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(temporary, ManagementJson.MAPPER.writeValueAsString(this));
            try {
                Files.move(temporary, nodeDirectory.resolve(FILE_NAME), StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, nodeDirectory.resolve(FILE_NAME), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** Removes this endpoint, unless another node has replaced it meanwhile. */
    public void withdraw(Path nodeDirectory) throws IOException, ManagementException {
        if (read(nodeDirectory).filter(this::equals).isPresent()) {
            Files.deleteIfExists(nodeDirectory.resolve(FILE_NAME));
        }
    }
}
