package org.stapfarm.node.server;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stapfarm.security.IdentityStoreException;
import org.stapfarm.security.ServerIdentity;
import org.stapfarm.security.ServerIdentityStore;
import org.stapfarm.security.TrustDatabase;

/**
 * Keeps a server's certificate valid and trusted by its own user. The reference server regenerates its
 * certificate once it has expired; so does this one, checking every minute rather than after every
 * connection, and hands the new identity to its server, whose listener and module signing use it from the
 * next connection on. Like the reference server, it adds the certificate it serves to the client database of
 * the user it runs as, at start and after every renewal, so that user's `stap` trusts it at once (protocol
 * spec 4.10); failing that is logged, not fatal.
 */
final class CertificateManager {

    interface Command {
    }

    private enum Check implements Command { INSTANCE }

    private record Checked(ServerIdentity identity) implements Command {
    }

    private record CheckFailed(Throwable failure) implements Command {
    }

    static final Duration CHECK_INTERVAL = Duration.ofMinutes(1);

    private static final Logger LOG = LoggerFactory.getLogger(CertificateManager.class);

    /** @param localTrust the client database of the user the server runs as */
    static Behavior<Command> create(ServerIdentityStore store, ServerIdentity initial, TrustDatabase localTrust,
                                    ActorRef<ServerIdentity> renewals, Executor executor) {
        return Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(Check.INSTANCE, CHECK_INTERVAL);
            executor.execute(() -> trustLocally(localTrust, initial));
            return watching(store, initial, localTrust, renewals, executor);
        });
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

    private static Behavior<Command> watching(ServerIdentityStore store, ServerIdentity current,
                                              TrustDatabase localTrust, ActorRef<ServerIdentity> renewals,
                                              Executor executor) {
        return Behaviors.receive(Command.class)
                .onMessageEquals(Check.INSTANCE, () -> {
                    if (!current.isValidAt(Instant.now())) {
                        return renewing(store, current, localTrust, renewals, executor);
                    }
                    return Behaviors.same();
                })
                .build();
    }

    private static Behavior<Command> renewing(ServerIdentityStore store, ServerIdentity current,
                                              TrustDatabase localTrust, ActorRef<ServerIdentity> renewals,
                                              Executor executor) {
        return Behaviors.setup(context -> {
            context.pipeToSelf(CompletableFuture.supplyAsync(() -> {
                try {
                    return store.loadOrCreate().identity();
                } catch (IdentityStoreException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            }, executor), (identity, failure) -> identity != null ? new Checked(identity) : new CheckFailed(failure));
            return Behaviors.receive(Command.class)
                    .onMessage(Checked.class, checked -> {
                        context.getLog().warn("The server certificate expired; now serving certificate {}",
                                checked.identity().certinfo());
                        renewals.tell(checked.identity());
                        executor.execute(() -> trustLocally(localTrust, checked.identity()));
                        return watching(store, checked.identity(), localTrust, renewals, executor);
                    })
                    .onMessage(CheckFailed.class, failed -> {
                        context.getLog().error("Renewing the expired server certificate failed: {}",
                                failed.failure().getMessage());
                        return watching(store, current, localTrust, renewals, executor);
                    })
                    .onMessageEquals(Check.INSTANCE, Behaviors::same)
                    .build();
        });
    }

    private CertificateManager() {
    }
}
