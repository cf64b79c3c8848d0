package org.stapfarm.discovery;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.jmdns.JmDNS;
import javax.jmdns.ServiceInfo;
import javax.jmdns.impl.NameRegister;
import javax.jmdns.impl.ServiceInfoImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Advertises compile servers over mDNS with JmDNS, one JmDNS responder per interface. One instance of this
 * class serves every server of a node, so that the node's host name is announced once per interface and
 * instance names are made unique among all its servers.
 */
public final class DnsSdResponder implements DnsSdPublisher, AutoCloseable {

    static final String SERVICE_TYPE = "_stap._tcp.local.";

    private static final Logger LOG = LoggerFactory.getLogger(DnsSdResponder.class);
    /** Probing a name takes about a second, after the host's own announcement (about three) on a new responder. */
    private static final Duration ANNOUNCE_TIMEOUT = Duration.ofSeconds(10);

    static {
        // JmDNS reads both once, when its classes initialise, so this must run before the first responder.
        // Records live two minutes instead of JmDNS's hour (RFC 6762 section 10 asks 120 s of records that
        // name a host): a node killed without saying goodbye drops out of avahi's caches, and so out of
        // `stap --list-servers`, that soon. JmDNS renews them at half their life.
        System.setProperty("net.dns.ttl", "120");
        NameRegister.Factory.setRegistry(new AvahiStyleNames());
    }

    private final List<String> interfaceNames;
    private final String hostName;
    private List<Responder> responders;
    private boolean closed;

    /**
     * @param interfaceNames as `stapfarm.discovery.interfaces` (empty: every usable non-loopback interface)
     * @param hostName       this host's name, `uname -n`; the responders announce its first label in `.local`
     */
    public DnsSdResponder(List<String> interfaceNames, String hostName) {
        this.interfaceNames = List.copyOf(interfaceNames);
        int dot = hostName.indexOf('.');
        this.hostName = dot > 0 ? hostName.substring(0, dot) : hostName;
    }

    /**
     * Starts a JmDNS responder on each interface, unless that is done. JmDNS first probes and announces the
     * host name, about three seconds, and answers for services only after that: a compile server opens them
     * while it gets ready, so that it goes on the air soon after it listens.
     *
     * @throws IOException when there is no interface to advertise on, or a responder cannot be started
     */
    public synchronized void open() throws IOException {
        if (closed) {
            throw new IOException("the DNS-SD responder is closed");
        }
        if (responders != null) {
            return;
        }
        List<Responder> opened = new ArrayList<>();
        try {
            for (MdnsInterface where : MdnsInterface.select(interfaceNames)) {
                opened.add(new Responder(JmDNS.create(named(where), hostName), where));
                LOG.info("DNS-SD responder for {}.local on {}", hostName, where);
            }
        } catch (IOException e) {
            opened.forEach(DnsSdResponder::closeQuietly);
            throw e;
        }
        if (opened.isEmpty()) {
            throw new IOException("no network interface to advertise on (stapfarm.discovery.interfaces "
                    + interfaceNames + ")");
        }
        responders = opened;
    }

    /**
     * Registers one `_stap._tcp` instance on every interface, named `Systemtap Compile Server on <host>`
     * (with ` #2`, ` #3`, ... where that is taken), and returns once it is on the air: JmDNS probes the name
     * first, about a second, and renames the instance if someone else has it. Opens the responders first if
     * need be.
     *
     * @throws IOException when they cannot be opened
     */
    @Override
    public Publication publish(int port, StapTxtRecord txt) throws IOException {
        List<Registered> registered = register(port, txt);
        for (Registered each : registered) {
            boolean announced = ((ServiceInfoImpl) each.info()).waitForAnnounced(ANNOUNCE_TIMEOUT.toMillis());
            LOG.info("Advertising '{}' ({}) on {}{}", each.info().getName(), txt.sysinfo(), each.where(),
                    announced ? "" : ", still probing its name");
        }
        return new Registration(registered);
    }

    private synchronized List<Registered> register(int port, StapTxtRecord txt) throws IOException {
        open();
        List<Registered> registered = new ArrayList<>();
        for (Responder responder : responders) {
            ServiceInfo info = ServiceInfo.create(SERVICE_TYPE, InstanceNames.of(hostName), port, 0, 0, txt.encode());
            responder.jmdns().registerService(info);
            registered.add(new Registered(responder.jmdns(), responder.where(), info));
        }
        return registered;
    }

    /** Withdraws everything still published (JmDNS says goodbye for each record) and stops the responders. */
    @Override
    public void close() {
        List<Responder> open;
        synchronized (this) {
            closed = true;
            open = responders == null ? List.of() : responders;
        }
        // Each close waits for its goodbyes to go out, a few seconds: side by side they take no longer than one.
        CompletableFuture.allOf(open.stream()
                .map(responder -> CompletableFuture.runAsync(() -> closeQuietly(responder)))
                .toArray(CompletableFuture[]::new)).join();
    }

    /**
     * The interface's address carrying the host name already: JmDNS compares the name with the address's
     * host name, and for an address without one that is a reverse DNS lookup, seconds on a host without DNS.
     */
    private InetAddress named(MdnsInterface where) throws IOException {
        InetAddress address = where.address();
        return address instanceof Inet6Address
                ? Inet6Address.getByAddress(hostName, address.getAddress(), where.networkInterface())
                : InetAddress.getByAddress(hostName, address.getAddress());
    }

    private static void closeQuietly(Responder responder) {
        try {
            responder.jmdns().close();
        } catch (IOException | RuntimeException e) {
            LOG.warn("Closing the DNS-SD responder on {} failed: {}", responder.where(), e.getMessage());
        }
    }

    private record Responder(JmDNS jmdns, MdnsInterface where) {
    }

    private record Registered(JmDNS responder, MdnsInterface where, ServiceInfo info) {
    }

    /** The instances of one {@link #publish}, one per interface. */
    private final class Registration implements Publication {

        private final List<Registered> registered;

        private Registration(List<Registered> registered) {
            this.registered = registered;
        }

        /** JmDNS waits for the goodbye packets to go out, a second or two; nothing to do once closed. */
        @Override
        public void withdraw() {
            synchronized (DnsSdResponder.this) {
                if (closed) {
                    return;
                }
            }
            for (Registered each : registered) {
                each.responder().unregisterService(each.info());
                LOG.info("Withdrew '{}' on {}", each.info().getName(), each.where());
            }
        }
    }
}
