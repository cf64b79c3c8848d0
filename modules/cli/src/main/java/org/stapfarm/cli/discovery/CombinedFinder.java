package org.stapfarm.cli.discovery;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The user's own node's servers first, then the ones DNS-SD finds; the browse, which takes its whole
 * window, runs while the node is asked. An advertisement of one of the node's own servers (same port and
 * sysinfo, at an address of this host) is left out: the node's line names that server already, at the
 * loopback address, which reaches it whatever the firewall says.
 */
final class CombinedFinder implements ServerFinder {

    private final ServerFinder local;
    private final ServerFinder network;

    CombinedFinder(ServerFinder local, ServerFinder network) {
        this.local = local;
        this.network = network;
    }

    @Override
    public List<FoundServer> find() throws IOException {
        CompletableFuture<List<FoundServer>> browsing = CompletableFuture.supplyAsync(() -> {
            try {
                return network.find();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        List<FoundServer> found = new ArrayList<>(local.find());
        List<FoundServer> advertised;
        try {
            advertised = browsing.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof UncheckedIOException io) {
                throw io.getCause();
            }
            throw e;
        }
        List<FoundServer> own = List.copyOf(found);
        for (FoundServer server : advertised) {
            if (!isOneOf(server, own) && !found.contains(server)) {
                found.add(server);
            }
        }
        return found;
    }

    private static boolean isOneOf(FoundServer advertised, List<FoundServer> own) throws IOException {
        for (FoundServer server : own) {
            if (server.port() == advertised.port() && server.sysinfo().equals(advertised.sysinfo())
                    && isThisHost(advertised.address())) {
                return true;
            }
        }
        return false;
    }

    private static boolean isThisHost(String address) throws IOException {
        InetAddress parsed = InetAddress.getByName(address);
        return parsed.isLoopbackAddress() || NetworkInterface.getByInetAddress(parsed) != null;
    }
}
