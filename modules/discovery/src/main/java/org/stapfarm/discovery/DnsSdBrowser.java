package org.stapfarm.discovery;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Looks for `_stap._tcp` services with one-shot mDNS queries (RFC 6762 section 5.1): sent from a port of
 * its own, they are answered straight back by unicast, by avahi and JmDNS alike. Unlike a full mDNS
 * responder (JmDNS), this neither takes UDP port 5353, nor announces a host name for the command that
 * browses, nor needs seconds to say goodbye, and a command stays as fast as its browse window.
 *
 * <p>Each interface is asked on its own, and the questions go out again every quarter of a second for
 * whatever is still missing (an instance's SRV or TXT record, a host's address), so one lost packet costs
 * a round, not the whole browse.
 */
public final class DnsSdBrowser {

    static final DnsName SERVICE_TYPE = DnsName.of("_stap", "_tcp", "local");
    static final int MDNS_PORT = 5353;

    private static final long ROUND_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** The browsing question itself is repeated every this many rounds. */
    private static final int BROWSE_EVERY = 4;
    /** Questions per packet, which keeps every query far below a link's MTU. */
    private static final int QUESTIONS_PER_QUERY = 16;
    private static final int MAX_PACKET = 9000;

    private final int port;

    public DnsSdBrowser() {
        this(MDNS_PORT);
    }

    /** A browser that asks responders on another port than 5353, for tests. */
    DnsSdBrowser(int port) {
        this.port = port;
    }

    /**
     * The services that answered within {@code window} on the given interfaces, sorted by host, address, port
     * and sysinfo. Instances without a usable TXT record (no `sysinfo`) are left out.
     */
    public List<DiscoveredService> browse(List<MdnsInterface> interfaces, Duration window) throws IOException {
        if (interfaces.isEmpty()) {
            return List.of();
        }
        List<Lookup> lookups = new ArrayList<>();
        try (Selector selector = Selector.open()) {
            for (MdnsInterface where : interfaces) {
                lookups.add(new Lookup(where, selector));
            }
            listen(selector, lookups, System.nanoTime() + window.toNanos());
        } finally {
            for (Lookup lookup : lookups) {
                lookup.channel.close();
            }
        }
        return lookups.stream().flatMap(Lookup::resolved)
                .sorted(Comparator.comparing(DiscoveredService::hostName)
                        .thenComparing(service -> service.address().getHostAddress())
                        .thenComparingInt(DiscoveredService::port)
                        .thenComparing(service -> service.txt().sysinfo()))
                .toList();
    }

    private static void listen(Selector selector, List<Lookup> lookups, long deadline) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(MAX_PACKET);
        long nextRound = System.nanoTime();
        int round = 0;
        for (long now = nextRound; now < deadline; now = System.nanoTime()) {
            if (now >= nextRound) {
                for (Lookup lookup : lookups) {
                    lookup.ask(round % BROWSE_EVERY == 0);
                }
                round++;
                nextRound = now + ROUND_NANOS;
            }
            long waitNanos = Math.min(deadline, nextRound) - now;
            selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos)));
            for (SelectionKey key : selector.selectedKeys()) {
                ((Lookup) key.attachment()).receive(buffer);
            }
            selector.selectedKeys().clear();
        }
    }

    /** What one interface has told so far. */
    private final class Lookup {

        private final MdnsInterface where;
        private final DatagramChannel channel;
        private final InetSocketAddress group;
        private final Map<DnsName, Instance> instances = new LinkedHashMap<>();
        private final Map<DnsName, List<InetAddress>> hosts = new HashMap<>();

        Lookup(MdnsInterface where, Selector selector) throws IOException {
            this.where = where;
            boolean ipv4 = where.address() instanceof Inet4Address;
            this.channel = DatagramChannel.open(ipv4 ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
            try {
                channel.setOption(StandardSocketOptions.IP_MULTICAST_IF, where.networkInterface());
                channel.setOption(StandardSocketOptions.IP_MULTICAST_TTL, 255);
                channel.bind(new InetSocketAddress(where.address(), 0));
                channel.configureBlocking(false);
                channel.register(selector, SelectionKey.OP_READ, this);
            } catch (IOException e) {
                channel.close();
                throw new IOException("cannot browse on " + where + ": " + e.getMessage(), e);
            }
            this.group = new InetSocketAddress(ipv4 ? InetAddress.getByName("224.0.0.251")
                    : InetAddress.getByName("ff02::fb%" + where.networkInterface().getName()), port);
        }

        private int addressType() {
            return where.address() instanceof Inet4Address ? DnsMessage.TYPE_A : DnsMessage.TYPE_AAAA;
        }

        void ask(boolean browse) throws IOException {
            List<DnsMessage.Question> questions = new ArrayList<>();
            if (browse) {
                questions.add(new DnsMessage.Question(SERVICE_TYPE, DnsMessage.TYPE_PTR));
            }
            instances.forEach((name, instance) -> {
                if (instance.service == null) {
                    questions.add(new DnsMessage.Question(name, DnsMessage.TYPE_SRV));
                } else if (!hosts.containsKey(instance.service.target())) {
                    questions.add(new DnsMessage.Question(instance.service.target(), addressType()));
                }
                if (instance.text == null) {
                    questions.add(new DnsMessage.Question(name, DnsMessage.TYPE_TXT));
                }
            });
            for (int from = 0; from < questions.size(); from += QUESTIONS_PER_QUERY) {
                List<DnsMessage.Question> part =
                        questions.subList(from, Math.min(questions.size(), from + QUESTIONS_PER_QUERY));
                channel.send(ByteBuffer.wrap(DnsMessage.query(0, part)), group);
            }
        }

        void receive(ByteBuffer buffer) throws IOException {
            SocketAddress from;
            while ((from = channel.receive(buffer.clear())) != null) {
                List<DnsMessage.Record> records;
                try {
                    records = DnsMessage.records(buffer.array(), buffer.position());
                } catch (IllegalArgumentException malformed) {
                    continue;
                }
                InetAddress source = ((InetSocketAddress) from).getAddress();
                records.stream().filter(record -> record.ttl() > 0).forEach(record -> take(record, source));
            }
        }

        private void take(DnsMessage.Record record, InetAddress source) {
            if (record instanceof DnsMessage.Pointer pointer) {
                if (pointer.name().equals(SERVICE_TYPE) && pointer.target().parent().equals(SERVICE_TYPE)) {
                    instance(pointer.target(), source);
                }
            } else if (record instanceof DnsMessage.Service service) {
                if (service.name().parent().equals(SERVICE_TYPE)) {
                    instance(service.name(), source).service = service;
                }
            } else if (record instanceof DnsMessage.Text text) {
                if (text.name().parent().equals(SERVICE_TYPE)) {
                    instance(text.name(), source).text = text.text();
                }
            } else if (record instanceof DnsMessage.Address address) {
                List<InetAddress> known = hosts.computeIfAbsent(address.name(), name -> new ArrayList<>());
                if (!known.contains(address.address())) {
                    known.add(address.address());
                }
            }
        }

        private Instance instance(DnsName name, InetAddress source) {
            return instances.computeIfAbsent(name, key -> new Instance(source));
        }

        Stream<DiscoveredService> resolved() {
            List<DiscoveredService> resolved = new ArrayList<>();
            instances.forEach((name, instance) -> {
                if (instance.service == null || instance.text == null) {
                    return;
                }
                StapTxtRecord txt;
                try {
                    txt = StapTxtRecord.decode(instance.text);
                } catch (IllegalArgumentException unusable) {
                    return;
                }
                InetAddress address = addressOf(instance.service.target()).orElse(instance.source);
                resolved.add(new DiscoveredService(name.first(), instance.service.target().toString(), address,
                        instance.service.port(), txt));
            });
            return resolved.stream();
        }

        /** An address of the host in this interface's family, which is the one a client here can reach. */
        private Optional<InetAddress> addressOf(DnsName host) {
            List<InetAddress> known = hosts.getOrDefault(host, List.of());
            return known.stream().filter(address -> address.getClass() == where.address().getClass()).findFirst()
                    .or(() -> known.stream().findFirst());
        }
    }

    private static final class Instance {
        final InetAddress source;
        DnsMessage.Service service;
        byte[] text;

        Instance(InetAddress source) {
            this.source = source;
        }
    }
}
