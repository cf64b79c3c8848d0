package org.stapfarm.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * The responder (JmDNS) and the browser (one-shot queries) against each other on the loopback interface,
 * on the mDNS port the build moves JmDNS to (net.mdns.port), so that no avahi-daemon takes part.
 */
class DnsSdRoundTripTest {

    private static final int PORT = Integer.getInteger("net.mdns.port", DnsSdBrowser.MDNS_PORT);
    private static final List<String> LOOPBACK = List.of("lo");

    private final String host = "stapfarm-unit-" + ThreadLocalRandom.current().nextInt(1_000_000);
    private final DnsSdBrowser browser = new DnsSdBrowser(PORT);

    @Test
    void oneInstancePerReleaseFoundWithItsRecordsThenWithdrawn() throws Exception {
        StapTxtRecord first = new StapTxtRecord("6.1.0-47-amd64 x86_64", "-DFOO=1", "4.8", "00:cc:1a:11:2e", List.of());
        StapTxtRecord second = new StapTxtRecord("6.1.0-54-amd64 x86_64", "-DFOO=1", "4.8", "00:cc:1a:11:2e",
                List.of("af:cb"));
        DnsSdResponder responder = new DnsSdResponder(LOOPBACK, host + ".example.org");
        try {
            DnsSdResponder.Publication published = responder.publish(36002, first);
            responder.publish(36002, second);

            List<DiscoveredService> found = browseUntil(2);
            InetAddress loopback = InetAddress.getByName("127.0.0.1");
            String name = "Systemtap Compile Server on " + host;
            assertEquals(List.of(new DiscoveredService(name, host + ".local", loopback, 36002, first),
                    new DiscoveredService(name + " #2", host + ".local", loopback, 36002, second)), found);

            published.withdraw();
            assertEquals(List.of(second), browseUntil(1).stream().map(DiscoveredService::txt).toList());
        } finally {
            responder.close();
        }
        assertEquals(List.of(), mine(browser.browse(MdnsInterface.select(LOOPBACK), Duration.ofMillis(600))));
    }

    @Test
    void noInterfacesNoWait() throws IOException {
        long started = System.nanoTime();
        assertEquals(List.of(), browser.browse(List.of(), Duration.ofSeconds(5)));
        assertEquals(true, System.nanoTime() - started < Duration.ofSeconds(1).toNanos());
    }

    /** JmDNS answers once it has probed its names, about a second after registering. */
    private List<DiscoveredService> browseUntil(int count) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        List<DiscoveredService> found;
        do {
            found = mine(browser.browse(MdnsInterface.select(LOOPBACK), Duration.ofMillis(800)));
        } while (found.size() != count && System.nanoTime() < deadline);
        return found;
    }

    private List<DiscoveredService> mine(List<DiscoveredService> found) {
        return found.stream().filter(service -> service.hostName().equals(host + ".local")).toList();
    }
}
