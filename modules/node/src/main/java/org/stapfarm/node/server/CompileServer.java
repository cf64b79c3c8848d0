package org.stapfarm.node.server;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stapfarm.compiler.BuildTarget;
import org.stapfarm.compiler.BuildTargets;
import org.stapfarm.compiler.CompileCache;
import org.stapfarm.compiler.CompilerSetupException;
import org.stapfarm.compiler.ResourceLimits;
import org.stapfarm.compiler.StapRunner;
import org.stapfarm.compiler.Translator;
import org.stapfarm.compiler.TranslatorSettings;
import org.stapfarm.config.ServerOptions;
import org.stapfarm.discovery.DnsSdResponder;
import org.stapfarm.node.NodeSettings;
import org.stapfarm.node.routing.BuildCapabilities;
import org.stapfarm.node.routing.Router;
import org.stapfarm.protocol.RequestCodec;
import org.stapfarm.protocol.RequestLimits;
import org.stapfarm.protocol.SysInfo;
import org.stapfarm.security.Certificates;
import org.stapfarm.security.FilePermissions;
import org.stapfarm.security.IdentityStoreException;
import org.stapfarm.security.MokStore;
import org.stapfarm.security.ServerIdentity;
import org.stapfarm.security.ServerIdentityStore;
import org.stapfarm.security.TrustDatabase;

/**
 * One configured compile server: its certificate, its translator slots and its TLS port. Everything slow
 * (probing the translator, finding build trees, loading or generating the key) happens off the actor's
 * thread before the port opens; a server that cannot work reports why and stops without listening.
 */
final class CompileServer {

    interface Command {
    }

    /** Stop accepting, answer the requests already accepted (within the drain timeout), then stop. */
    record Stop(ActorRef<Done> replyTo) implements Command {
    }

    private record Drained() implements Command {
    }

    private record Prepared(Preparation preparation) implements Command {
    }

    private record PreparationFailed(String message) implements Command {
    }

    private record PoolRegistered(Preparation preparation, ActorRef<WorkerPool.Command> pool) implements Command {
    }

    private record IdentityRenewed(ServerIdentity identity) implements Command {
    }

    private record MachineOwnerKeysChanged(CertificateManager.MachineOwnerKeys keys) implements Command {
    }

    private static final Logger LOG = LoggerFactory.getLogger(CompileServer.class);

    /** Requests may not name more files than this; the real client sends a handful. */
    private static final int MAX_REQUEST_ENTRIES = 10_000;

    private record Preparation(BuildCapabilities capabilities, Map<String, BuildTarget> targets,
                               Translator translator, TranslatorSettings translatorSettings, StapRunner runner,
                               ServerIdentityStore identityStore, ServerIdentity identity, MokStore moks,
                               CertificateManager.MachineOwnerKeys moksAtStart, TrustDatabase localTrust) {
    }

    /** @param dnsSd where the server advertises itself, when the node does DNS-SD */
    static Behavior<Command> create(String name, ServerOptions options, NodeSettings settings,
                                    ActorRef<Router.Command> router, Optional<DnsSdResponder> dnsSd,
                                    ActorRef<StartOutcome> replyTo) {
        ServerThreads threads = new ServerThreads(name, options.logFile());
        return Behaviors.withMdc(Command.class, threads.mdc(), Behaviors.setup(context -> {
            ExecutorService executor = Executors.newCachedThreadPool(threads.factory("worker"));
            // JmDNS announces the host name for seconds before it answers for services: meanwhile the server
            // gets ready.
            dnsSd.ifPresent(responder -> executor.execute(() -> openQuietly(responder)));
            context.pipeToSelf(CompletableFuture.supplyAsync(() -> prepare(options, settings), executor),
                    (preparation, failure) -> preparation != null ? new Prepared(preparation)
                            : new PreparationFailed(failure.getCause() != null ? failure.getCause().getMessage()
                                    : failure.getMessage()));
            return Behaviors.receive(Command.class)
                    .onMessage(Prepared.class, prepared -> {
                        ActorRef<WorkerPool.Command> pool = context.spawn(
                                Behaviors.withMdc(WorkerPool.Command.class, threads.mdc(),
                                        WorkerPool.create(poolSetup(prepared.preparation(), options, settings,
                                                router, executor))),
                                "workers");
                        context.ask(Done.class, router, Duration.ofSeconds(30),
                                ack -> new Router.RegisterLocalPool(pool, prepared.preparation().capabilities(), ack),
                                (done, failure) -> done != null ? new PoolRegistered(prepared.preparation(), pool)
                                        : new PreparationFailed("the node's router did not accept the server: "
                                                + failure.getMessage()));
                        return Behaviors.same();
                    })
                    .onMessage(PoolRegistered.class, registered ->
                            listen(context, name, threads, options, settings, registered.preparation(),
                                    registered.pool(), router, dnsSd, replyTo, executor))
                    .onMessage(Stop.class, stop -> {
                        replyTo.tell(new StartOutcome.Failed("stopped before it started"));
                        stop.replyTo().tell(Done.getInstance());
                        executor.shutdownNow();
                        return Behaviors.stopped();
                    })
                    .onMessage(PreparationFailed.class, failed -> {
                        context.getLog().error("Server {} not started: {}", name, failed.message());
                        replyTo.tell(new StartOutcome.Failed(failed.message()));
                        executor.shutdown();
                        return Behaviors.stopped();
                    })
                    .build();
        }));
    }

    private static Behavior<Command> listen(ActorContext<Command> context, String name, ServerThreads threads,
                                            ServerOptions options,
                                            NodeSettings settings, Preparation preparation,
                                            ActorRef<WorkerPool.Command> pool, ActorRef<Router.Command> router,
                                            Optional<DnsSdResponder> dnsSd,
                                            ActorRef<StartOutcome> replyTo, ExecutorService executor) {
        StapRunner runner = preparation.runner();
        ModuleSigning signing = new ModuleSigning(preparation.identity(), preparation.moks());
        TlsListener listener;
        try {
            CompileExchange exchange = new CompileExchange(
                    new RequestCodec(new RequestLimits(options.maxCompressedRequest(), options.maxRequestSize(),
                            MAX_REQUEST_ENTRIES)),
                    preparation.translator().version(), preparation.capabilities().profile(), router,
                    context.getSystem().scheduler(), settings.workers().replyTimeout(), signing);
            listener = TlsListener.open(options.port(), settings.listener(), options.maxCompressedRequest(),
                    preparation.identity().sslContext(), exchange, threads);
        } catch (IOException e) {
            replyTo.tell(new StartOutcome.Failed(e.getMessage()));
            runner.close();
            executor.shutdown();
            return Behaviors.stopped();
        }
        CertificateManager.Listeners keyListeners = new CertificateManager.Listeners(
                context.messageAdapter(ServerIdentity.class, IdentityRenewed::new),
                context.messageAdapter(CertificateManager.MachineOwnerKeys.class, MachineOwnerKeysChanged::new));
        context.spawn(Behaviors.withMdc(CertificateManager.Command.class, threads.mdc(),
                CertificateManager.create(preparation.identityStore(), preparation.identity(),
                        preparation.localTrust(), preparation.moks(), preparation.moksAtStart(), keyListeners,
                        executor, CertificateManager.CHECK_INTERVAL)),
                "certificates");
        Duration drainTimeout = settings.shutdownDrainTimeout();
        Drain drain = new Drain(listener, pool, runner, drainTimeout, executor, context.getSystem());
        List<Cancellable> drainTasks = drainOnShutdown(context, name, drain);
        context.getLog().info("Using network address [::]:{}", listener.port());
        context.getLog().info("Using a maximum of {} threads", options.translatorSlots());
        context.getLog().info("Certificate serial (certinfo) {}", preparation.identity().certinfo());
        replyTo.tell(new StartOutcome.Started(listener.port(), preparation.identity().certinfo(),
                Base64.getEncoder().encodeToString(Certificates.encode(preparation.identity().certificate())),
                preparation.capabilities().arch(), preparation.capabilities().releases()));
        Optional<ActorRef<Advertiser.Command>> advertiser = dnsSd.map(responder -> context.spawn(
                Behaviors.withMdc(Advertiser.Command.class, threads.mdc(), Advertiser.create(responder,
                        new Advertiser.Service(listener.port(), options.optinfo(),
                                preparation.translator().version().toString()),
                        preparation.identity().certinfo(), preparation.moksAtStart().fingerprints(),
                        targets(preparation.capabilities()), threads)),
                "advertiser"));
        List<ActorRef<Done>> stopRequesters = new ArrayList<>();
        return Behaviors.receive(Command.class)
                .onMessage(IdentityRenewed.class, renewed -> {
                    listener.useTls(renewed.identity().sslContext());
                    signing.useIdentity(renewed.identity());
                    advertiser.ifPresent(advertising ->
                            advertising.tell(new Advertiser.CertificateChanged(renewed.identity().certinfo())));
                    return Behaviors.same();
                })
                .onMessage(MachineOwnerKeysChanged.class, changed -> {
                    advertiser.ifPresent(advertising -> advertising.tell(
                            new Advertiser.MachineOwnerKeysChanged(changed.keys().fingerprints())));
                    return Behaviors.same();
                })
                .onMessage(Stop.class, stop -> {
                    if (stopRequesters.isEmpty()) {
                        // Not accepting any more: clients browsing from now on must not find it.
                        advertiser.ifPresent(context::stop);
                        context.pipeToSelf(drain.stopAcceptingAndAwaitIdle(), (done, failure) -> new Drained());
                    }
                    stopRequesters.add(stop.replyTo());
                    return Behaviors.same();
                })
                .onMessage(Drained.class, drained -> {
                    stopRequesters.forEach(requester -> requester.tell(Done.getInstance()));
                    return Behaviors.stopped();
                })
                .onSignal(PostStop.class, stopped -> {
                    drainTasks.forEach(Cancellable::cancel);
                    listener.close();
                    runner.close();
                    executor.shutdownNow();
                    return Behaviors.same();
                })
                .build();
    }

    /**
     * On node shutdown (SIGTERM): first stop accepting, then let accepted requests finish before the
     * actors, and with them the translator runs, are stopped. Cluster leave comes after both phases, so the
     * requests other nodes routed here are answered too.
     */
    private static List<Cancellable> drainOnShutdown(ActorContext<Command> context, String name, Drain drain) {
        CoordinatedShutdown shutdown = CoordinatedShutdown.get(context.getSystem());
        return List.of(
                shutdown.addCancellableTask(CoordinatedShutdown.PhaseServiceUnbind(), "stop-accepting-" + name,
                        () -> {
                            drain.stopAccepting();
                            return CompletableFuture.completedFuture(Done.getInstance());
                        }),
                shutdown.addCancellableTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "drain-" + name,
                        drain::stopAcceptingAndAwaitIdle));
    }

    /** Ending a server's work: its listener's clients and the requests other nodes routed to its pool. */
    private record Drain(TlsListener listener, ActorRef<WorkerPool.Command> pool, StapRunner runner,
                         Duration timeout, ExecutorService executor, ActorSystem<?> system) {

        void stopAccepting() {
            listener.stopAccepting();
            pool.tell(new WorkerPool.Drain(system.ignoreRef()));
        }

        /** Waits until every accepted request is answered; past the timeout their translator runs are killed. */
        CompletableFuture<Done> stopAcceptingAndAwaitIdle() {
            listener.stopAccepting();
            CompletableFuture<Done> poolIdle = AskPattern.<WorkerPool.Command, Done>ask(pool, WorkerPool.Drain::new,
                    timeout, system.scheduler()).toCompletableFuture();
            return CompletableFuture.supplyAsync(() -> {
                long deadline = System.nanoTime() + timeout.toNanos();
                try {
                    if (!listener.awaitIdle(timeout)) {
                        throw new TimeoutException();
                    }
                    poolIdle.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (TimeoutException | ExecutionException e) {
                    LOG.warn("Requests still running after {}; cancelling them", timeout);
                    runner.cancelAll();
                }
                return Done.getInstance();
            }, executor);
        }
    }

    private static Preparation prepare(ServerOptions options, NodeSettings settings) {
        try {
            String arch = options.arch() != null ? options.arch() : BuildTargets.hostArchitecture();
            List<String> requested = options.releases().isEmpty()
                    ? List.of(BuildTargets.runningRelease()) : options.releases();
            Map<String, BuildTarget> targets = new LinkedHashMap<>();
            for (String release : requested) {
                BuildTarget target = BuildTargets.resolve(release, arch);
                targets.put(target.release(), target);
            }
            Translator translator = Translator.probe(settings.translator());
            TranslatorSettings translatorSettings = new TranslatorSettings(
                    translator.executable(), options.translatorOptions(), settings.temporaryDirectory(),
                    resourceLimits(settings.translatorLimits()), settings.translatorLimits().wallClock(),
                    settings.workers().maxResultSize(), options.keepTemporaries(), TranslatorEnvironment.of(System.getenv()));
            Path systemtapDirectory = settings.systemtapDirectory();
            ServerIdentityStore store = ServerIdentityStore.in(options.sslDirectory() != null ? options.sslDirectory()
                    : settings.identity().directory()
                            .orElseGet(() -> ServerIdentityStore.defaultDirectory(systemtapDirectory)))
                    .withExtraDnsNames(settings.identity().extraDnsNames());
            ServerIdentity identity = store.loadOrCreate().identity();
            BuildCapabilities capabilities = new BuildCapabilities(arch, new ArrayList<>(targets.keySet()),
                    BuildCapabilities.profileOf(options.translatorOptions()));
            MokStore moks = MokStore.in(store.directory());
            TrustDatabase localTrust = new TrustDatabase(systemtapDirectory.resolve("ssl").resolve("client"),
                    OptionalLong.of(FilePermissions.currentUid()), false);
            return new Preparation(capabilities, targets, translator, translatorSettings,
                    new StapRunner(translatorSettings), store, identity, moks,
                    CertificateManager.MachineOwnerKeys.of(moks), localTrust);
        } catch (CompilerSetupException | IdentityStoreException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private static WorkerPool.Setup poolSetup(Preparation preparation, ServerOptions options, NodeSettings settings,
                                              ActorRef<Router.Command> router, ExecutorService executor) {
        return new WorkerPool.Setup(preparation.capabilities(), preparation.targets(), preparation.translator(),
                preparation.translatorSettings(), preparation.runner(),
                new CompileCache(settings.workers().resultCacheSize()),
                options.translatorSlots(), settings.workers().queueCapacity(), executor, router,
                settings.cluster().transfer());
    }

    private static List<SysInfo> targets(BuildCapabilities capabilities) {
        return capabilities.releases().stream().map(release -> new SysInfo(release, capabilities.arch())).toList();
    }

    private static void openQuietly(DnsSdResponder responder) {
        try {
            responder.open();
        } catch (IOException e) {
            LOG.warn("Compile servers are not advertised over DNS-SD: {}", e.getMessage());
        }
    }

    private static ResourceLimits resourceLimits(NodeSettings.TranslatorLimits limits) {
        return new ResourceLimits(limits.cpu().toSeconds(), limits.fileSize(), limits.addressSpace(),
                limits.processes());
    }

    private CompileServer() {
    }
}
