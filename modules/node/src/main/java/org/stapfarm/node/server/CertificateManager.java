package org.stapfarm.node.server;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stapfarm.security.IdentityStoreException;
import org.stapfarm.security.MachineOwnerKey;
import org.stapfarm.security.MokStore;
import org.stapfarm.security.ServerIdentity;
import org.stapfarm.security.ServerIdentityStore;
import org.stapfarm.security.TrustDatabase;

/**
 * A server's keys: its certificate and signing key, and its machine owner keys.
 * <ul>
 *   <li>The reference server regenerates its certificate once it has expired; so does this one, checking
 *       every minute rather than after every connection, and hands the new identity to its server, whose
 *       listener and module signing use it from the next connection on.</li>
 *   <li>Like the reference server, it adds the certificate it serves to the client database of the user it
 *       runs as, at start and after every renewal, so that user's `stap` trusts it at once (protocol spec
 *       4.10); failing that is logged, not fatal.</li>
 *   <li>It looks at `moks/` every minute and reports when the set of usable keys changed, so the server
 *       advertises them (`mok_info`, spec 4.6 item 5); the reference server watches the directory with
 *       inotify instead.</li>
 * </ul>
 */
final class CertificateManager {

    interface Command {
    }

    /** The fingerprints of the machine owner keys the server can sign with, in the store's order. */
    record MachineOwnerKeys(List<String> fingerprints) {
        MachineOwnerKeys {
            fingerprints = List.copyOf(fingerprints);
        }

        static MachineOwnerKeys of(MokStore store) {
            return new MachineOwnerKeys(store.keys().stream().map(MachineOwnerKey::fingerprint).toList());
        }
    }

    /** Where the manager reports changes. */
    record Listeners(ActorRef<ServerIdentity> renewals, ActorRef<MachineOwnerKeys> machineOwnerKeys) {
    }

    private enum Check implements Command { INSTANCE }

    private record Renewed(ServerIdentity identity) implements Command {
    }

    private record RenewalFailed(Throwable failure) implements Command {
    }

    private record MachineOwnerKeysRead(MachineOwnerKeys keys) implements Command {
    }

    static final Duration CHECK_INTERVAL = Duration.ofMinutes(1);

    private static final Logger LOG = LoggerFactory.getLogger(CertificateManager.class);

    /**
     * @param localTrust    the client database of the user the server runs as
     * @param moks          the keys the server signs modules with, and what it last reported of them
     * @param checkInterval {@link #CHECK_INTERVAL}, unless a test cannot wait that long
     */
    static Behavior<Command> create(ServerIdentityStore store, ServerIdentity initial, TrustDatabase localTrust,
                                    MokStore moks, MachineOwnerKeys reported, Listeners listeners, Executor executor,
                                    Duration checkInterval) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(Check.INSTANCE, checkInterval);
            CertificateManager manager = new CertificateManager(context, store, initial, localTrust, moks, reported,
                    listeners, executor);
            executor.execute(() -> trustLocally(localTrust, initial));
            return manager.behavior();
        }));
    }

    private final ActorContext<Command> context;
    private final ServerIdentityStore store;
    private final TrustDatabase localTrust;
    private final MokStore moks;
    private final Listeners listeners;
    private final Executor executor;
    private ServerIdentity current;
    private MachineOwnerKeys reported;
    private boolean renewing;

    private CertificateManager(ActorContext<Command> context, ServerIdentityStore store, ServerIdentity current,
                               TrustDatabase localTrust, MokStore moks, MachineOwnerKeys reported,
                               Listeners listeners, Executor executor) {
        this.context = context;
        this.store = store;
        this.current = current;
        this.localTrust = localTrust;
        this.moks = moks;
        this.reported = reported;
        this.listeners = listeners;
        this.executor = executor;
    }

    private Behavior<Command> behavior() {
        return Behaviors.receive(Command.class)
                .onMessageEquals(Check.INSTANCE, this::onCheck)
                .onMessage(Renewed.class, this::onRenewed)
                .onMessage(RenewalFailed.class, this::onRenewalFailed)
                .onMessage(MachineOwnerKeysRead.class, this::onMachineOwnerKeysRead)
                .build();
    }

    private Behavior<Command> onCheck() {
        context.pipeToSelf(CompletableFuture.supplyAsync(() -> MachineOwnerKeys.of(moks), executor),
                (keys, failure) -> new MachineOwnerKeysRead(keys != null ? keys : reported));
        if (!renewing && !current.isValidAt(Instant.now())) {
            renewing = true;
            context.pipeToSelf(CompletableFuture.supplyAsync(() -> {
                try {
                    return store.loadOrCreate().identity();
                } catch (IdentityStoreException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            }, executor), (identity, failure) -> identity != null ? new Renewed(identity) : new RenewalFailed(failure));
        }
        return Behaviors.same();
    }

    private Behavior<Command> onRenewed(Renewed renewed) {
        renewing = false;
        current = renewed.identity();
        context.getLog().warn("The server certificate expired; now serving certificate {}", current.certinfo());
        listeners.renewals().tell(current);
        ServerIdentity identity = current;
        executor.execute(() -> trustLocally(localTrust, identity));
        return Behaviors.same();
    }

    private Behavior<Command> onRenewalFailed(RenewalFailed failed) {
        renewing = false;
        context.getLog().error("Renewing the expired server certificate failed: {}", failed.failure().getMessage());
        return Behaviors.same();
    }

    private Behavior<Command> onMachineOwnerKeysRead(MachineOwnerKeysRead read) {
        if (!read.keys().equals(reported)) {
            reported = read.keys();
            context.getLog().info("Machine owner keys now {}", reported.fingerprints());
            listeners.machineOwnerKeys().tell(reported);
        }
        return Behaviors.same();
    }

    private static void trustLocally(TrustDatabase localTrust, ServerIdentity identity) {
        try {
            localTrust.trust(identity.certificate());
            LOG.info("Certificate {} is trusted by this user's clients ({})", identity.certinfo(),
                    localTrust.directory());
        } catch (IOException e) {
            LOG.warn("Unable to authorize certificate {} for the local client: {}", identity.certinfo(),
                    e.getMessage());
        }
    }
}
