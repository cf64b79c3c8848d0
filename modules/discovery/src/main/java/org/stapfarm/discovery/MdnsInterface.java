package org.stapfarm.discovery;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A network interface and the address mDNS uses on it: IPv4 when it has one, because the stock 4.8 client
 * connects to discovered servers over IPv4 only and turns an IPv6 answer into `address=0.0.0.0` (protocol
 * section 5.5); its first IPv6 address otherwise.
 */
public record MdnsInterface(NetworkInterface networkInterface, InetAddress address) {

    /**
     * The interfaces named in {@code names} that are up and have an address; with no names, every interface
     * that is up, can multicast and is not a loopback interface. A named loopback interface is used even
     * without the MULTICAST flag: Linux delivers multicast on `lo` all the same.
     *
     * @throws IOException when a named interface does not exist, or the interfaces cannot be listed
     */
    public static List<MdnsInterface> select(List<String> names) throws IOException {
        List<MdnsInterface> selected = new ArrayList<>();
        if (names.isEmpty()) {
            for (NetworkInterface candidate : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (candidate.isUp() && candidate.supportsMulticast() && !candidate.isLoopback()
                        && !candidate.isVirtual()) {
                    of(candidate).ifPresent(selected::add);
                }
            }
            return selected;
        }
        for (String name : names) {
            NetworkInterface named = NetworkInterface.getByName(name);
            if (named == null) {
                throw new IOException("no network interface named " + name + " (stapfarm.discovery.interfaces)");
            }
            if (named.isUp()) {
                of(named).ifPresent(selected::add);
            }
        }
        return selected;
    }

    private static Optional<MdnsInterface> of(NetworkInterface networkInterface) {
        List<InetAddress> addresses = Collections.list(networkInterface.getInetAddresses());
        return addresses.stream().filter(address -> address instanceof Inet4Address).findFirst()
                .or(() -> addresses.stream().findFirst())
                .map(address -> new MdnsInterface(networkInterface, address));
    }

    @Override
    public String toString() {
        return networkInterface.getName() + " (" + address.getHostAddress() + ")";
    }
}
