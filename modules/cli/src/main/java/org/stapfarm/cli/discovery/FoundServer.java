package org.stapfarm.cli.discovery;

import org.stapfarm.protocol.SysInfo;

/**
 * A compile server a {@link ServerFinder} found: one kernel release of one server, as one DNS-SD
 * advertisement describes it.
 *
 * @param hostName the host's name
 * @param address  a numeric address to connect to (IPv4 or IPv6)
 * @param port     its TLS port
 * @param sysInfo  the release and architecture it builds for
 */
public record FoundServer(String hostName, String address, int port, SysInfo sysInfo) {

    /** The `stap-find-servers` line: `<hostname> <ip> <port> 'sysinfo=<release> <arch>'` (management-tools 2.4). */
    public String format() {
        return hostName + " " + address + " " + port + " 'sysinfo=" + sysInfo.format() + "'";
    }
}
