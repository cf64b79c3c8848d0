package org.stapfarm.node.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.stapfarm.discovery.DnsSdPublisher;
import org.stapfarm.discovery.StapTxtRecord;
import org.stapfarm.protocol.SysInfo;

/** The Advertiser against a publisher that records what would go on and off the air. */
class AdvertiserTest {

    private static final SysInfo FIRST = new SysInfo("6.1.0-47-amd64", "x86_64");
    private static final SysInfo SECOND = new SysInfo("6.1.0-54-amd64", "x86_64");
    private static final SysInfo THIRD = new SysInfo("6.1.0-56-amd64", "x86_64");
    private static final Advertiser.Service SERVICE = new Advertiser.Service(36002, "-DFOO=1", "4.8");

    private static ActorTestKit testKit;

    /** Records `+ <sysinfo> <certinfo>` per publication and `- <sysinfo> <certinfo>` per withdrawal. */
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    private final Set<String> failing = new HashSet<>();
    private final DnsSdPublisher publisher = (port, txt) -> {
        assertEquals(36002, port);
        assertEquals("-DFOO=1", txt.optinfo());
        assertEquals("4.8", txt.version());
        if (failing.contains(txt.sysinfo())) {
            throw new IOException("no interface");
        }
        events.add("+ " + describe(txt));
        return () -> events.add("- " + describe(txt));
    };

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create();
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void publishesEachTargetAndFollowsChanges() throws InterruptedException {
        ActorRef<Advertiser.Command> advertiser = start(List.of(FIRST, SECOND));
        assertEquals(Set.of("+ 6.1.0-47-amd64 x86_64 00:aa", "+ 6.1.0-54-amd64 x86_64 00:aa"), next(2));

        // A release added and one dropped (the cluster's view of releases will send this).
        advertiser.tell(new Advertiser.Targets(List.of(SECOND, THIRD)));
        assertEquals(Set.of("- 6.1.0-47-amd64 x86_64 00:aa", "+ 6.1.0-56-amd64 x86_64 00:aa"), next(2));

        advertiser.tell(new Advertiser.CertificateChanged("00:aa"));
        assertNull(events.poll(300, TimeUnit.MILLISECONDS), "the same certificate changes nothing");

        advertiser.tell(new Advertiser.CertificateChanged("00:bb"));
        List<String> renewed = List.of(take(), take(), take(), take());
        for (SysInfo target : List.of(SECOND, THIRD)) {
            String sysinfo = target.format();
            assertTrue(renewed.indexOf("- " + sysinfo + " 00:aa") < renewed.indexOf("+ " + sysinfo + " 00:bb"),
                    "a target's old record goes before its new one comes: " + renewed);
        }

        testKit.stop(advertiser);
        assertEquals(Set.of("- 6.1.0-54-amd64 x86_64 00:bb", "- 6.1.0-56-amd64 x86_64 00:bb"), next(2));
        assertNull(events.poll(300, TimeUnit.MILLISECONDS));
    }

    /** Keys added to or removed from moks/ go on the air as `mok_info` (protocol spec 4.6 item 5). */
    @Test
    void machineOwnerKeysAreRepublished() throws InterruptedException {
        ActorRef<Advertiser.Command> advertiser = start(List.of(FIRST));
        assertEquals(Set.of("+ 6.1.0-47-amd64 x86_64 00:aa"), next(1));

        advertiser.tell(new Advertiser.MachineOwnerKeysChanged(List.of("11:22", "33:44")));
        assertEquals(List.of("- 6.1.0-47-amd64 x86_64 00:aa", "+ 6.1.0-47-amd64 x86_64 00:aa mok_info=11:22,33:44"),
                List.of(take(), take()));
        advertiser.tell(new Advertiser.MachineOwnerKeysChanged(List.of("11:22", "33:44")));
        assertNull(events.poll(300, TimeUnit.MILLISECONDS), "the same keys change nothing");
        advertiser.tell(new Advertiser.CertificateChanged("00:bb"));
        assertEquals(List.of("- 6.1.0-47-amd64 x86_64 00:aa mok_info=11:22,33:44",
                "+ 6.1.0-47-amd64 x86_64 00:bb mok_info=11:22,33:44"), List.of(take(), take()));
        testKit.stop(advertiser);
        assertEquals(Set.of("- 6.1.0-47-amd64 x86_64 00:bb mok_info=11:22,33:44"), next(1));
    }

    @Test
    void aTargetThatCouldNotBePublishedHasNothingToWithdraw() throws InterruptedException {
        failing.add(SECOND.format());
        ActorRef<Advertiser.Command> advertiser = start(List.of(FIRST, SECOND));
        assertEquals(Set.of("+ 6.1.0-47-amd64 x86_64 00:aa"), next(1));
        testKit.stop(advertiser);
        assertEquals(Set.of("- 6.1.0-47-amd64 x86_64 00:aa"), next(1));
        assertNull(events.poll(300, TimeUnit.MILLISECONDS));
    }

    private ActorRef<Advertiser.Command> start(List<SysInfo> targets) {
        return testKit.spawn(Advertiser.create(publisher, SERVICE, "00:aa", List.of(), targets,
                new ServerThreads("advertiser-test", null)));
    }

    private Set<String> next(int count) throws InterruptedException {
        Set<String> taken = new HashSet<>();
        for (int i = 0; i < count; i++) {
            taken.add(take());
        }
        return taken;
    }

    private String take() throws InterruptedException {
        String event = events.poll(5, TimeUnit.SECONDS);
        assertTrue(event != null, "nothing published or withdrawn within 5 s");
        return event;
    }

    private static String describe(StapTxtRecord txt) {
        return txt.sysinfo() + " " + txt.certinfo()
                + (txt.mokFingerprints().isEmpty() ? "" : " mok_info=" + String.join(",", txt.mokFingerprints()));
    }
}
