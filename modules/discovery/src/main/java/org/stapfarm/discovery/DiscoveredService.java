package org.stapfarm.discovery;

import java.net.InetAddress;

/**
 * One resolved `_stap._tcp` instance: one kernel release of one compile server.
 *
 * @param instanceName the DNS-SD instance name, e.g. `Systemtap Compile Server on vm #2`
 * @param hostName     the SRV target without the trailing dot, e.g. `vm.local`
 * @param address      where to connect: an address record of the host, else the address that answered
 * @param port         the server's TLS port
 * @param txt          what the server offers
 */
public record DiscoveredService(String instanceName, String hostName, InetAddress address, int port,
                                StapTxtRecord txt) {
}
