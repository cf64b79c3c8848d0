package org.stapfarm.management;

import java.util.List;

/**
 * A compile server as its node reports it.
 *
 * @param id        unique on its host; what status files, `-p`, `stap-start-server` and `stap-stop-server` use
 * @param nickname  the name given at start, or the id
 * @param arguments the `stap-serverd` options it was started with
 * @param arch      the architecture it builds for
 * @param releases  the kernel releases it builds for
 * @param port      its TLS port
 * @param certinfo  the serial of the certificate it presents
 * @param certificate that certificate, DER in base64; empty before it started
 * @param state     {@link #STARTING}, {@link #RUNNING} or {@link #STOPPING}
 */
public record ServerView(long id, String nickname, List<String> arguments, String arch, List<String> releases,
                         int port, String certinfo, String certificate, String state) {

    public static final String STARTING = "starting";
    public static final String RUNNING = "running";
    public static final String STOPPING = "stopping";

    public ServerView {
        arguments = List.copyOf(arguments);
        releases = List.copyOf(releases);
    }
}
