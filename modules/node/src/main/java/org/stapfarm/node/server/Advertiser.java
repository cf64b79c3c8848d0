package org.stapfarm.node.server;

import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stapfarm.discovery.DnsSdPublisher;
import org.stapfarm.discovery.StapTxtRecord;
import org.stapfarm.protocol.SysInfo;

/**
 * Keeps a compile server's DNS-SD advertisement in step with what the server offers: one `_stap._tcp`
 * instance per target (kernel release and arch) it builds for. The targets arrive as a message, so that
 * whoever decides them can change them while the server runs: today the server, from its own `-r` list;
 * once nodes pool their build trees, the cluster's view of every node's releases. A renewed certificate and
 * a changed set of machine owner keys are re-published the same way. Stopping the actor withdraws every instance.
 *
 * <p>JmDNS calls block (a withdrawal waits about a second for its goodbye packets to go out), so they run
 * on threads of their own, chained per target so that a target's withdrawal never overtakes its
 * publication.
 */
final class Advertiser {

    interface Command {
    }

    /** The targets to advertise from now on, replacing the previous ones. */
    record Targets(List<SysInfo> targets) implements Command {
    }

    /** The serial of the certificate the server presents from now on. */
    record CertificateChanged(String certinfo) implements Command {
    }

    /** The machine owner keys the server signs with from now on (`mok_info`, protocol spec 5.2). */
    record MachineOwnerKeysChanged(List<String> fingerprints) implements Command {
        MachineOwnerKeysChanged {
            fingerprints = List.copyOf(fingerprints);
        }
    }

    /**
     * What does not change while a server runs.
     *
     * @param version the server's protocol version, as its responses carry it
     */
    record Service(int port, String optinfo, String version) {

        StapTxtRecord txt(SysInfo target, String certinfo, List<String> mokFingerprints) {
            return new StapTxtRecord(target.format(), optinfo, version, certinfo, mokFingerprints);
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(Advertiser.class);

    static Behavior<Command> create(DnsSdPublisher publisher, Service service, String certinfo,
                                    List<String> mokFingerprints, List<SysInfo> targets, ServerThreads threads) {
        return Behaviors.setup(context -> {
            // Idle threads end by themselves; no shutdown, which would refuse the withdrawals still chained.
            ExecutorService executor = Executors.newCachedThreadPool(threads.factory("dns-sd"));
            State state = new State(publisher, service, certinfo, mokFingerprints, executor);
            state.advertise(new LinkedHashSet<>(targets));
            return Behaviors.receive(Command.class)
                    .onMessage(Targets.class, message -> {
                        state.advertise(new LinkedHashSet<>(message.targets()));
                        return Behaviors.same();
                    })
                    .onMessage(CertificateChanged.class, message -> {
                        state.useKeys(message.certinfo(), state.mokFingerprints);
                        return Behaviors.same();
                    })
                    .onMessage(MachineOwnerKeysChanged.class, message -> {
                        state.useKeys(state.certinfo, message.fingerprints());
                        return Behaviors.same();
                    })
                    .onSignal(PostStop.class, stopped -> {
                        state.advertise(Set.of());
                        return Behaviors.same();
                    })
                    .build();
        });
    }

    /** The publications, one chain of JmDNS calls per target; touched by the actor only. */
    private static final class State {
        private final DnsSdPublisher publisher;
        private final Service service;
        private final ExecutorService executor;
        private final Map<SysInfo, CompletableFuture<Optional<DnsSdPublisher.Publication>>> published =
                new HashMap<>();
        private String certinfo;
        private List<String> mokFingerprints;

        State(DnsSdPublisher publisher, Service service, String certinfo, List<String> mokFingerprints,
              ExecutorService executor) {
            this.publisher = publisher;
            this.service = service;
            this.certinfo = certinfo;
            this.mokFingerprints = List.copyOf(mokFingerprints);
            this.executor = executor;
        }

        void advertise(Set<SysInfo> targets) {
            published.entrySet().removeIf(entry -> {
                boolean gone = !targets.contains(entry.getKey());
                if (gone) {
                    withdraw(entry.getValue());
                }
                return gone;
            });
            for (SysInfo target : targets) {
                published.computeIfAbsent(target, added -> publish(CompletableFuture.completedFuture(null), added));
            }
        }

        /** Re-publishes every target when the certificate or the machine owner keys changed. */
        void useKeys(String newCertinfo, List<String> newMokFingerprints) {
            if (newCertinfo.equals(certinfo) && newMokFingerprints.equals(mokFingerprints)) {
                return;
            }
            certinfo = newCertinfo;
            mokFingerprints = List.copyOf(newMokFingerprints);
            published.replaceAll((target, publication) -> publish(withdraw(publication), target));
        }

        private CompletableFuture<Void> withdraw(CompletableFuture<Optional<DnsSdPublisher.Publication>> publication) {
            return publication.thenAcceptAsync(done -> done.ifPresent(DnsSdPublisher.Publication::withdraw), executor);
        }

        private CompletableFuture<Optional<DnsSdPublisher.Publication>> publish(CompletableFuture<?> after,
                                                                                 SysInfo target) {
            StapTxtRecord txt = service.txt(target, certinfo, mokFingerprints);
            return after.thenApplyAsync(ignored -> {
                try {
                    return Optional.of(publisher.publish(service.port(), txt));
                } catch (IOException | IllegalStateException e) {
                    LOG.warn("Not advertised over DNS-SD for {}: {}", target.format(), e.getMessage());
                    return Optional.empty();
                }
            }, executor);
        }
    }

    private Advertiser() {
    }
}
