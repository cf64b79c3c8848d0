package org.stapfarm.node.server;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.stapfarm.security.IdentityStoreException;
import org.stapfarm.security.ServerIdentity;
import org.stapfarm.security.ServerIdentityStore;

/**
 * Keeps a server's certificate valid. The reference server regenerates its certificate once it has
 * expired; so does this one, checking every minute rather than after every connection, and hands the new
 * identity to its server, whose listener uses it from the next connection on.
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

    static Behavior<Command> create(ServerIdentityStore store, ServerIdentity initial,
                                    ActorRef<ServerIdentity> renewals, Executor executor) {
        return Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(Check.INSTANCE, CHECK_INTERVAL);
            return watching(store, initial, renewals, executor);
        });
    }

    private static Behavior<Command> watching(ServerIdentityStore store, ServerIdentity current,
                                              ActorRef<ServerIdentity> renewals, Executor executor) {
        return Behaviors.receive(Command.class)
                .onMessageEquals(Check.INSTANCE, () -> {
                    if (!current.isValidAt(Instant.now())) {
                        return renewing(store, current, renewals, executor);
                    }
                    return Behaviors.same();
                })
                .build();
    }

    private static Behavior<Command> renewing(ServerIdentityStore store, ServerIdentity current,
                                              ActorRef<ServerIdentity> renewals, Executor executor) {
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
                        return watching(store, checked.identity(), renewals, executor);
                    })
                    .onMessage(CheckFailed.class, failed -> {
                        context.getLog().error("Renewing the expired server certificate failed: {}",
                                failed.failure().getMessage());
                        return watching(store, current, renewals, executor);
                    })
                    .onMessageEquals(Check.INSTANCE, Behaviors::same)
                    .build();
        });
    }

    private CertificateManager() {
    }
}
