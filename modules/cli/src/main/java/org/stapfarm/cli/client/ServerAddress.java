package org.stapfarm.cli.client;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.OptionalInt;
import java.util.regex.Pattern;
import org.stapfarm.cli.discovery.FoundServer;

/**
 * A `--server` value: `HOST`, `HOST:PORT`, `IPv4`, `IPv4:PORT`, `IPv6`, `[IPv6]` or `[IPv6]:PORT`. With a
 * port it names a server to connect to directly; without one it selects the found servers on that host,
 * matched exactly (management-tools 5.5 item 43: upstream matched text, so `10.0.0.1` selected `10.0.0.11`).
 */
record ServerAddress(String host, OptionalInt port) {

    private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

    static ServerAddress parse(String spec) throws ClientException {
        if (spec.startsWith("[")) {
            int close = spec.indexOf(']');
            if (close < 0 || !isAddress(spec.substring(1, close)) || !spec.substring(1, close).contains(":")) {
                throw invalid(spec);
            }
            String rest = spec.substring(close + 1);
            if (rest.isEmpty()) {
                return new ServerAddress(spec.substring(1, close), OptionalInt.empty());
            }
            return new ServerAddress(spec.substring(1, close), port(spec, rest.startsWith(":") ? rest.substring(1) : null));
        }
        int colon = spec.indexOf(':');
        if (colon >= 0 && spec.indexOf(':', colon + 1) >= 0) {
            if (!isAddress(spec)) {
                throw invalid(spec);
            }
            return new ServerAddress(spec, OptionalInt.empty());
        }
        String host = colon < 0 ? spec : spec.substring(0, colon);
        if (host.isEmpty() || host.chars().anyMatch(c -> Character.isWhitespace(c) || c == '/')) {
            throw invalid(spec);
        }
        return new ServerAddress(host, colon < 0 ? OptionalInt.empty() : port(spec, spec.substring(colon + 1)));
    }

    /** Whether {@code server} is on this spec's host: the same name (ignoring case) or the same address. */
    boolean matches(FoundServer server) {
        if (host.equalsIgnoreCase(server.hostName())) {
            return true;
        }
        if (!isLiteral(host) || !isLiteral(server.address())) {
            return false;
        }
        try {
            // Literals only: no name service is asked, so "::1" equals "0:0:0:0:0:0:0:1" and nothing else does.
            return InetAddress.getByName(host).equals(InetAddress.getByName(server.address()));
        } catch (UnknownHostException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        String printed = host.contains(":") ? "[" + host + "]" : host;
        return port.isPresent() ? printed + ":" + port.getAsInt() : printed;
    }

    private static boolean isLiteral(String text) {
        return IPV4.matcher(text).matches() || text.contains(":");
    }

    private static boolean isAddress(String text) {
        try {
            return isLiteral(text) && InetAddress.getByName(text) != null;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static OptionalInt port(String spec, String text) throws ClientException {
        if (text == null || !PORT.matcher(text).matches() || Integer.parseInt(text) < 1 || Integer.parseInt(text) > 65535) {
            throw new ClientException("Invalid port in server specification " + spec);
        }
        return OptionalInt.of(Integer.parseInt(text));
    }

    private static ClientException invalid(String spec) {
        return new ClientException("Invalid server specification " + spec);
    }
}
