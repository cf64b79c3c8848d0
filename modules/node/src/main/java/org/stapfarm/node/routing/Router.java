package org.stapfarm.node.routing;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.stapfarm.node.server.WorkerPool;
import org.stapfarm.protocol.CompileRequest;
import org.stapfarm.protocol.CompileResult;
import org.stapfarm.protocol.SysInfo;

/**
 * Sends each compile request to a worker pool that builds its architecture, release and profile:
 * a pool of this node when there is one, otherwise one found in the cluster through the Receptionist.
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

    private record PoolsListed(Set<ActorRef<WorkerPool.Command>> pools) implements Command {
    }

    private record PoolDescribed(ActorRef<WorkerPool.Command> pool, BuildCapabilities capabilities) implements Command {
    }

    private record PoolGone(ActorRef<WorkerPool.Command> pool) implements Command {
    }

    private static final Duration DESCRIBE_TIMEOUT = Duration.ofSeconds(10);

    public static Behavior<Command> create() {
        return Behaviors.setup(context -> {
            ActorRef<Receptionist.Listing> listingAdapter = context.messageAdapter(Receptionist.Listing.class,
                    listing -> new PoolsListed(listing.getServiceInstances(WorkerPool.SERVICE_KEY)));
            context.getSystem().receptionist().tell(Receptionist.subscribe(WorkerPool.SERVICE_KEY, listingAdapter));
            return new Router(context).behavior();
        });
    }

    private final ActorContext<Command> context;
    private final Map<ActorRef<WorkerPool.Command>, BuildCapabilities> localPools = new HashMap<>();
    private final Map<ActorRef<WorkerPool.Command>, BuildCapabilities> remotePools = new HashMap<>();

    private Router(ActorContext<Command> context) {
        this.context = context;
    }

    private Behavior<Command> behavior() {
        return Behaviors.receive(Command.class)
                .onMessage(Route.class, this::onRoute)
                .onMessage(RegisterLocalPool.class, this::onRegisterLocalPool)
                .onMessage(PoolsListed.class, this::onPoolsListed)
                .onMessage(PoolDescribed.class, this::onPoolDescribed)
                .onMessage(PoolGone.class, this::onPoolGone)
                .build();
    }

    private Behavior<Command> onRoute(Route route) {
        SysInfo target = route.request().sysInfo();
        Optional<ActorRef<WorkerPool.Command>> pool = matching(localPools, target, route.profile())
                .or(() -> matching(remotePools, target, route.profile()));
        if (pool.isPresent()) {
            pool.get().tell(new WorkerPool.Compile(route.request(), route.replyTo()));
        } else {
            route.replyTo().tell(new CompileReply(CompileResult.refused(unsupported(target))));
        }
        return Behaviors.same();
    }

    private static Optional<ActorRef<WorkerPool.Command>> matching(
            Map<ActorRef<WorkerPool.Command>, BuildCapabilities> pools, SysInfo target, String profile) {
        return pools.entrySet().stream()
                .filter(entry -> entry.getValue().builds(target.arch(), target.release(), profile))
                .map(Map.Entry::getKey)
                .findFirst();
    }

    private String unsupported(SysInfo target) {
        Set<String> available = new TreeSet<>();
        for (Map<ActorRef<WorkerPool.Command>, BuildCapabilities> pools : List.of(localPools, remotePools)) {
            pools.values().forEach(capabilities -> capabilities.releases()
                    .forEach(release -> available.add(release + " " + capabilities.arch())));
        }
        return "Target kernel version " + target.release() + " (" + target.arch()
                + ") is not supported by this server. Available: "
                + (available.isEmpty() ? "none" : String.join(", ", available)) + ".";
    }

    private Behavior<Command> onRegisterLocalPool(RegisterLocalPool register) {
        localPools.put(register.pool(), register.capabilities());
        remotePools.remove(register.pool());
        context.watchWith(register.pool(), new PoolGone(register.pool()));
        register.ack().tell(Done.getInstance());
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
            remotePools.put(described.pool(), described.capabilities());
        }
        return Behaviors.same();
    }

    private Behavior<Command> onPoolGone(PoolGone gone) {
        localPools.remove(gone.pool());
        remotePools.remove(gone.pool());
        return Behaviors.same();
    }
}
