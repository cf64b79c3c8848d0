package org.stapfarm.node.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.security.FilePermissions;
import org.stapfarm.security.MachineOwnerKey;
import org.stapfarm.security.MokStore;
import org.stapfarm.security.ServerIdentity;
import org.stapfarm.security.ServerIdentityStore;
import org.stapfarm.security.TrustDatabase;

class CertificateManagerTest {

    private static final Duration INTERVAL = Duration.ofMillis(200);

    private static ActorTestKit testKit;
    private static ExecutorService executor;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create();
        executor = Executors.newCachedThreadPool();
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
        executor.shutdownNow();
    }

    /**
     * An expired certificate is replaced, the server hears of it, and the user's clients trust the new one,
     * as they trusted the first one from the start (protocol spec 4.10).
     */
    @Test
    void anExpiredCertificateIsRenewedAndTrustedLocally() throws Exception {
        assumeTrue(certutil(), "certutil is not installed");
        ServerIdentityStore store = ServerIdentityStore.in(tmp.resolve("ssl")).withKeySize(2048)
                .withHostName("build1");
        Clock lastYear = Clock.fixed(Instant.now().minus(Duration.ofDays(400)), ZoneOffset.UTC);
        ServerIdentity expired = store.withClock(lastYear).loadOrCreate().identity();
        TrustDatabase localTrust = new TrustDatabase(tmp.resolve("client"), OptionalLong.of(FilePermissions.currentUid()),
                false);
        TestProbe<ServerIdentity> renewals = testKit.createTestProbe();
        TestProbe<CertificateManager.MachineOwnerKeys> keys = testKit.createTestProbe();

        testKit.spawn(CertificateManager.create(store, expired, localTrust, MokStore.in(store.directory()),
                new CertificateManager.MachineOwnerKeys(List.of()),
                new CertificateManager.Listeners(renewals.getRef(), keys.getRef()), executor, INTERVAL));

        ServerIdentity renewed = renewals.receiveMessage(Duration.ofSeconds(30));
        assertNotEquals(expired.certinfo(), renewed.certinfo());
        awaitTrusted(localTrust, List.of(expired.certificate(), renewed.certificate()));
    }

    /** A key added to moks/ is reported, so the server advertises it (spec 4.6 item 5). */
    @Test
    void machineOwnerKeysAddedLaterAreReported() throws Exception {
        ServerIdentityStore store = ServerIdentityStore.in(tmp.resolve("ssl")).withKeySize(2048)
                .withHostName("build1");
        ServerIdentity identity = store.loadOrCreate().identity();
        MokStore moks = MokStore.in(store.directory());
        TestProbe<ServerIdentity> renewals = testKit.createTestProbe();
        TestProbe<CertificateManager.MachineOwnerKeys> keys = testKit.createTestProbe();
        testKit.spawn(CertificateManager.create(store, identity,
                new TrustDatabase(tmp.resolve("client"), OptionalLong.of(FilePermissions.currentUid()), false), moks,
                new CertificateManager.MachineOwnerKeys(List.of()),
                new CertificateManager.Listeners(renewals.getRef(), keys.getRef()), executor, INTERVAL));
        keys.expectNoMessage(INTERVAL.multipliedBy(3));

        MachineOwnerKey key = MachineOwnerKey.generate(2048, Instant.now());
        moks.store(key);

        assertEquals(List.of(key.fingerprint()), keys.receiveMessage(Duration.ofSeconds(10)).fingerprints());
        keys.expectNoMessage(INTERVAL.multipliedBy(3));
        renewals.expectNoMessage(Duration.ZERO);
    }

    private static void awaitTrusted(TrustDatabase database, List<X509Certificate> expected)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<X509Certificate> peers = List.of();
        while (System.nanoTime() < deadline) {
            try {
                peers = database.read().peers();
                if (peers.containsAll(expected)) {
                    return;
                }
            } catch (IOException stillBeingWritten) {
                // The manager writes the database in the background; look again.
            }
            Thread.sleep(100);
        }
        assertEquals(expected, peers);
    }

    private static boolean certutil() {
        try {
            return new ProcessBuilder("certutil", "-H").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() >= 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
