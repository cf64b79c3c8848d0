package org.stapfarm.cli.discovery;

import org.stapfarm.discovery.Compatibility;
import org.stapfarm.protocol.SysInfo;

/**
 * A compile server a {@link ServerFinder} found: one kernel release of one server, as one DNS-SD
 * advertisement describes it.
 *
 * @param hostName the host's name
 * @param address  a numeric address to connect to (IPv4 or IPv6)
 * @param port     its TLS port
 * @param sysinfo  what it builds for, as advertised: `<release> <arch>`, or an arch alone for every release
 */
public record FoundServer(String hostName, String address, int port, String sysinfo) {

    public FoundServer(String hostName, String address, int port, SysInfo sysInfo) {
        this(hostName, address, port, sysInfo.format());
    }

    /** Whether it builds for {@code target}, by the stock client's rule. */
    public boolean serves(SysInfo target) {
        return Compatibility.serves(sysinfo, target);
    }

    /** The `stap-find-servers` line: `<hostname> <ip> <port> 'sysinfo=<release> <arch>'` (management-tools 2.4). */
    public String format() {
        return hostName + " " + address + " " + port + " 'sysinfo=" + sysinfo + "'";
    }
}
