package org.stapfarm.management;

import java.util.List;

/**
 * Asks a node to start one server.
 *
 * @param arguments the `stap-serverd` options, validated by the node
 * @param nickname  the server's nickname, or empty for its id
 */
public record StartRequest(List<String> arguments, String nickname) {

    public StartRequest {
        arguments = List.copyOf(arguments);
        nickname = nickname == null ? "" : nickname;
    }
}
