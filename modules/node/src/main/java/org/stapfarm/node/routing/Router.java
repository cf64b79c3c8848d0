package org.stapfarm.node.routing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.stapfarm.node.CborSerializable;
import org.stapfarm.node.server.WorkerPool;
import org.stapfarm.protocol.CompileRequest;
import org.stapfarm.protocol.CompileResult;
import org.stapfarm.protocol.SysInfo;

/**
 * Sends each compile request to a worker pool that builds its architecture, release and profile: a pool of
 * this node when there is one, otherwise the least loaded one of the cluster (queued + running requests).
 * Pools on members that are unreachable, leaving or gone get no new work, and requests in flight on such a
 * member are routed again; a request that no pool can take is answered with the releases the cluster has.
 */
public final class Router {

    public interface Command {
    }

    /** A request that reached a listener of this node, to be compiled by a matching pool. */
    public record Route(CompileRequest request, String profile, ActorRef<CompileReply> replyTo) implements Command {
    }

    /**
     * A pool of this node; its server starts listening only after the acknowledgement, so that the first
     * request already finds it.
     */
    public record RegisterLocalPool(ActorRef<WorkerPool.Command> pool, BuildCapabilities capabilities,
                                    ActorRef<Done> ack) implements Command {
    }

    /** How many requests a pool of this node has queued and running; every router of the cluster learns it. */
    public record LocalLoad(ActorRef<WorkerPool.Command> pool, int load) implements Command {
    }

    /** The load of a pool, as published to the routers of the cluster. */
    public record PoolLoad(ActorRef<WorkerPool.Command> pool, int load) implements Command, CborSerializable {
    }

    /** A routed request that a pool could not answer: another pool may, but none of those in {@code tried}. */
    record Retry(Route route, Set<ActorRef<WorkerPool.Command>> tried, String reason) implements Command {
    }

    private record PoolsListed(Set<ActorRef<WorkerPool.Command>> pools) implements Command {
    }

    private record PoolDescribed(ActorRef<WorkerPool.Command> pool, BuildCapabilities capabilities) implements Command {
    }

    private record PoolGone(ActorRef<WorkerPool.Command> pool) implements Command {
    }

    private record MemberChanged(ClusterEvent.ClusterDomainEvent event) implements Command {
    }

    private record RemoteCompileEnded(ActorRef<RemoteCompile.Command> compile) implements Command {
    }

    private static final Duration DESCRIBE_TIMEOUT = Duration.ofSeconds(10);
    private static final String LOAD_TOPIC = "stapfarm-pool-load";

    private static final class RemotePool {
        final BuildCapabilities capabilities;
        /** As the pool last reported it: what every router of the cluster has sent it and it has taken. */
        int reportedLoad;

        RemotePool(BuildCapabilities capabilities) {
            this.capabilities = capabilities;
        }
    }

    public static Behavior<Command> create(Payload.Limits limits) {
        return Behaviors.setup(context -> {
            ActorRef<Receptionist.Listing> listingAdapter = context.messageAdapter(Receptionist.Listing.class,
                    listing -> new PoolsListed(listing.getServiceInstances(WorkerPool.SERVICE_KEY)));
            context.getSystem().receptionist().tell(Receptionist.subscribe(WorkerPool.SERVICE_KEY, listingAdapter));
            Cluster cluster = Cluster.get(context.getSystem());
            cluster.subscriptions().tell(Subscribe.create(
                    context.messageAdapter(ClusterEvent.ReachabilityEvent.class, MemberChanged::new),
                    ClusterEvent.ReachabilityEvent.class));
            cluster.subscriptions().tell(Subscribe.create(
                    context.messageAdapter(ClusterEvent.MemberEvent.class, MemberChanged::new),
                    ClusterEvent.MemberEvent.class));
            ActorRef<Topic.Command<PoolLoad>> loads = context.spawn(Topic.create(PoolLoad.class, LOAD_TOPIC), "loads");
            loads.tell(Topic.subscribe(context.getSelf().narrow()));
            return new Router(context, loads, limits).behavior();
        });
    }

    private final ActorContext<Command> context;
    private final ActorRef<Topic.Command<PoolLoad>> loads;
    private final Payload.Limits limits;
    private final Map<ActorRef<WorkerPool.Command>, BuildCapabilities> localPools = new HashMap<>();
    private final Map<ActorRef<WorkerPool.Command>, RemotePool> remotePools = new HashMap<>();
    /** Members that get no new work: unreachable, leaving, exiting or down. */
    private final Set<Address> unavailable = new HashSet<>();
    /** Requests this router sent to pools of other nodes and that are not answered yet. */
    private final Map<ActorRef<RemoteCompile.Command>, ActorRef<WorkerPool.Command>> inFlight = new HashMap<>();

    private Router(ActorContext<Command> context, ActorRef<Topic.Command<PoolLoad>> loads,
                   Payload.Limits limits) {
        this.context = context;
        this.loads = loads;
        this.limits = limits;
    }

    private Behavior<Command> behavior() {
        return Behaviors.receive(Command.class)
                .onMessage(Route.class, route -> dispatch(route, Set.of(), ""))
                .onMessage(Retry.class, retry -> dispatch(retry.route(), retry.tried(), retry.reason()))
                .onMessage(RegisterLocalPool.class, this::onRegisterLocalPool)
                .onMessage(LocalLoad.class, this::onLocalLoad)
                .onMessage(PoolLoad.class, this::onPoolLoad)
                .onMessage(PoolsListed.class, this::onPoolsListed)
                .onMessage(PoolDescribed.class, this::onPoolDescribed)
                .onMessage(PoolGone.class, this::onPoolGone)
                .onMessage(MemberChanged.class, this::onMemberChanged)
                .onMessage(RemoteCompileEnded.class, ended -> {
                    inFlight.remove(ended.compile());
                    return Behaviors.same();
                })
                .build();
    }

    /** @param lostOn why an earlier pool did not answer, for the client when no other pool can */
    private Behavior<Command> dispatch(Route route, Set<ActorRef<WorkerPool.Command>> tried, String lostOn) {
        SysInfo target = route.request().sysInfo();
        Optional<ActorRef<WorkerPool.Command>> local = localPools.entrySet().stream()
                .filter(entry -> !tried.contains(entry.getKey()))
                .filter(entry -> entry.getValue().builds(target.arch(), target.release(), route.profile()))
                .map(Map.Entry::getKey)
                .findFirst();
        if (local.isPresent()) {
            local.get().tell(new WorkerPool.Compile(route.request(), route.replyTo()));
            return Behaviors.same();
        }
        Optional<ActorRef<WorkerPool.Command>> remote = leastLoadedRemote(target, route.profile(), tried);
        if (remote.isPresent()) {
            ActorRef<WorkerPool.Command> pool = remote.get();
            ActorRef<RemoteCompile.Command> compile = context.spawnAnonymous(
                    RemoteCompile.create(route, pool, tried, context.getSelf(), limits));
            context.watchWith(compile, new RemoteCompileEnded(compile));
            inFlight.put(compile, pool);
        } else if (tried.isEmpty()) {
            route.replyTo().tell(new CompileReply(CompileResult.refused(unsupported(target))));
        } else {
            route.replyTo().tell(new CompileReply(CompileResult.refused("the node compiling this request was lost ("
                    + lostOn + ") and no other node of the cluster builds " + target.release() + " ("
                    + target.arch() + ")")));
        }
        return Behaviors.same();
    }

    private Optional<ActorRef<WorkerPool.Command>> leastLoadedRemote(SysInfo target, String profile,
                                                                      Set<ActorRef<WorkerPool.Command>> tried) {
        List<Map.Entry<ActorRef<WorkerPool.Command>, RemotePool>> candidates = new ArrayList<>(remotePools.entrySet()
                .stream()
                .filter(entry -> !tried.contains(entry.getKey()))
                .filter(entry -> !unavailable.contains(entry.getKey().path().address()))
                .filter(entry -> entry.getValue().capabilities.builds(target.arch(), target.release(), profile))
                .toList());
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        // Among equally loaded pools, any: a burst of requests then spreads instead of piling on one.
        int lowest = candidates.stream().mapToInt(this::load).min().orElseThrow();
        candidates.removeIf(entry -> load(entry) > lowest);
        return Optional.of(candidates.get(ThreadLocalRandom.current().nextInt(candidates.size())).getKey());
    }

    /**
     * A pool's report lags behind what this router has just sent it, and a burst from here would all go to
     * the pool whose report is low; what this router knows it sent is a floor.
     */
    private int load(Map.Entry<ActorRef<WorkerPool.Command>, RemotePool> pool) {
        int sentFromHere = (int) inFlight.values().stream().filter(pool.getKey()::equals).count();
        return Math.max(pool.getValue().reportedLoad, sentFromHere);
    }

    private String unsupported(SysInfo target) {
        Set<String> available = new TreeSet<>();
        localPools.values().forEach(capabilities -> addReleases(available, capabilities));
        remotePools.values().forEach(pool -> addReleases(available, pool.capabilities));
        return "Target kernel version " + target.release() + " (" + target.arch()
                + ") is not supported by this server. Available: "
                + (available.isEmpty() ? "none" : String.join(", ", available)) + ".";
    }

    private static void addReleases(Set<String> available, BuildCapabilities capabilities) {
        capabilities.releases().forEach(release -> available.add(release + " " + capabilities.arch()));
    }

    private Behavior<Command> onRegisterLocalPool(RegisterLocalPool register) {
        localPools.put(register.pool(), register.capabilities());
        remotePools.remove(register.pool());
        context.watchWith(register.pool(), new PoolGone(register.pool()));
        register.ack().tell(Done.getInstance());
        return Behaviors.same();
    }

    private Behavior<Command> onLocalLoad(LocalLoad load) {
        loads.tell(Topic.publish(new PoolLoad(load.pool(), load.load())));
        return Behaviors.same();
    }

    private Behavior<Command> onPoolLoad(PoolLoad load) {
        RemotePool pool = remotePools.get(load.pool());
        if (pool != null) {
            pool.reportedLoad = load.load();
        }
        return Behaviors.same();
    }

    private Behavior<Command> onPoolsListed(PoolsListed listed) {
        remotePools.keySet().retainAll(listed.pools());
        for (ActorRef<WorkerPool.Command> pool : listed.pools()) {
            if (!localPools.containsKey(pool) && !remotePools.containsKey(pool)) {
                context.ask(BuildCapabilities.class, pool, DESCRIBE_TIMEOUT, WorkerPool.Describe::new,
                        (capabilities, failure) -> capabilities != null
                                ? new PoolDescribed(pool, capabilities)
                                : new PoolGone(pool));
            }
        }
        return Behaviors.same();
    }

    private Behavior<Command> onPoolDescribed(PoolDescribed described) {
        if (!localPools.containsKey(described.pool())) {
            remotePools.putIfAbsent(described.pool(), new RemotePool(described.capabilities()));
        }
        return Behaviors.same();
    }

    private Behavior<Command> onPoolGone(PoolGone gone) {
        localPools.remove(gone.pool());
        remotePools.remove(gone.pool());
        return Behaviors.same();
    }

    private Behavior<Command> onMemberChanged(MemberChanged changed) {
        if (changed.event() instanceof ClusterEvent.MemberUp up) {
            unavailable.remove(up.member().address());
        } else if (changed.event() instanceof ClusterEvent.ReachableMember reachable) {
            if (reachable.member().status() == MemberStatus.up()) {
                unavailable.remove(reachable.member().address());
            }
        } else if (changed.event() instanceof ClusterEvent.UnreachableMember unreachable) {
            memberLost(unreachable.member().address(), "its node became unreachable");
        } else if (changed.event() instanceof ClusterEvent.MemberRemoved removed) {
            memberLost(removed.member().address(), "its node left the cluster");
        } else if (changed.event() instanceof ClusterEvent.MemberDowned downed) {
            memberLost(downed.member().address(), "its node was taken out of the cluster");
        } else if (changed.event() instanceof ClusterEvent.MemberLeft
                || changed.event() instanceof ClusterEvent.MemberExited) {
            // Leaving or exiting: it finishes what it has, but gets nothing new.
            unavailable.add(((ClusterEvent.MemberEvent) changed.event()).member().address());
        }
        return Behaviors.same();
    }

    private void memberLost(Address address, String reason) {
        unavailable.add(address);
        inFlight.forEach((compile, pool) -> {
            if (pool.path().address().equals(address)) {
                compile.tell(new RemoteCompile.Lost(reason));
            }
        });
    }
}
