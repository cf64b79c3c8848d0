package org.stapfarm.node.server;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.stapfarm.compiler.BuildTarget;
import org.stapfarm.compiler.CompileCache;
import org.stapfarm.compiler.CompileKey;
import org.stapfarm.compiler.StapRunner;
import org.stapfarm.compiler.Translator;
import org.stapfarm.compiler.TranslatorSettings;
import org.stapfarm.node.CborSerializable;
import org.stapfarm.node.routing.BuildCapabilities;
import org.stapfarm.node.routing.CompileReply;
import org.stapfarm.node.routing.Payload;
import org.stapfarm.node.routing.RemoteReply;
import org.stapfarm.node.routing.Router;
import org.stapfarm.protocol.CompileRequest;
import org.stapfarm.protocol.CompileResult;

/**
 * The translator slots of one compile server. At most `slots` translators run at once; further requests
 * wait in a bounded first-come-first-served queue, and a request beyond that is answered "busy" instead
 * of being dropped. Identical requests on an unchanged build environment are answered from the cache
 * without waiting for a slot.
 */
public final class WorkerPool {

    /** Every pool in the cluster registers under this key; routers ask each one what it builds. */
    public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "stapfarm-worker-pools");

    public interface Command {
    }

    /** A request from a listener of this node. */
    public record Compile(CompileRequest request, ActorRef<CompileReply> replyTo) implements Command {
    }

    public record Describe(ActorRef<BuildCapabilities> replyTo) implements Command, CborSerializable {
    }

    /** A request routed here by another node; the result goes back as a {@link Payload}. */
    public record CompileFromPeer(Payload request, ActorRef<RemoteReply> replyTo) implements Command, CborSerializable {
    }

    /**
     * Take no more requests from other nodes, and reply once every request taken is answered: the pool's
     * server is stopping, or its node is leaving the cluster.
     */
    public record Drain(ActorRef<Done> replyTo) implements Command {
    }

    private record RemoteRequestRead(CompileRequest request, ActorRef<RemoteReply> replyTo) implements Command {
    }

    private record CacheChecked(Job job, Optional<CompileResult> cached) implements Command {
    }

    private record Compiled(Job job, CompileResult result) implements Command {
    }

    /** A request that failed before it took a slot. */
    private record Failed(ActorRef<CompileReply> replyTo, CompileResult result) implements Command {
    }

    /** A request from another node that did not arrive intact; its sender routes it again. */
    private record RemoteRequestLost(String reason, ActorRef<RemoteReply> replyTo) implements Command {
    }

    /** `key` is null when the build environment could not be examined; such a job bypasses the cache. */
    private record Job(CompileRequest request, BuildTarget target, CompileKey key, ActorRef<CompileReply> replyTo) {
    }

    /**
     * What a pool works with; the translator runs happen on `executor`, never on the actor's thread.
     *
     * @param router   learns the pool's load, for the routers of the whole cluster
     * @param transfer limits on requests arriving from other nodes
     */
    public record Setup(BuildCapabilities capabilities, Map<String, BuildTarget> targets, Translator translator,
                        TranslatorSettings translatorSettings, StapRunner runner, CompileCache cache, int slots,
                        int queueCapacity, Executor executor, ActorRef<Router.Command> router,
                        Payload.Limits transfer) {
    }

    public static Behavior<Command> create(Setup setup) {
        return Behaviors.setup(context -> {
            context.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, context.getSelf()));
            return new WorkerPool(context, setup).behavior();
        });
    }

    private final ActorContext<Command> context;
    private final Setup setup;
    private final Deque<Job> queue = new ArrayDeque<>();
    private final List<ActorRef<Done>> drainRequesters = new ArrayList<>();
    /** Once asked to drain, for good: a server stops accepting only once. */
    private boolean draining;
    private int running;
    /** Requests taken but neither running nor queued yet: their transfer or cache lookup is under way. */
    private int arriving;
    private int reportedLoad;

    private WorkerPool(ActorContext<Command> context, Setup setup) {
        this.context = context;
        this.setup = setup;
    }

    private Behavior<Command> behavior() {
        return Behaviors.receive(Command.class)
                .onMessage(Compile.class, this::onCompile)
                .onMessage(Describe.class, this::onDescribe)
                .onMessage(CompileFromPeer.class, this::onCompileFromPeer)
                .onMessage(RemoteRequestRead.class, this::onRemoteRequestRead)
                .onMessage(RemoteRequestLost.class, lost -> {
                    arriving--;
                    lost.replyTo().tell(new RemoteReply.Declined(lost.reason()));
                    return idleCheck();
                })
                .onMessage(Drain.class, this::onDrain)
                .onMessage(CacheChecked.class, this::onCacheChecked)
                .onMessage(Compiled.class, this::onCompiled)
                .onMessage(Failed.class, this::onFailed)
                .build();
    }

    private Behavior<Command> onDescribe(Describe describe) {
        describe.replyTo().tell(setup.capabilities());
        return Behaviors.same();
    }

    private Behavior<Command> onCompile(Compile compile) {
        accept(compile.request(), compile.replyTo());
        return Behaviors.same();
    }

    private Behavior<Command> onCompileFromPeer(CompileFromPeer remote) {
        if (draining) {
            remote.replyTo().tell(new RemoteReply.Declined("its compile server is stopping"));
            return Behaviors.same();
        }
        arriving++;
        context.pipeToSelf(remote.request().read(CompileRequest.class, setup.transfer(), context.getSystem()),
                (request, failure) -> request != null ? new RemoteRequestRead(request, remote.replyTo())
                        : new RemoteRequestLost("the request did not arrive intact: " + failure.getMessage(),
                                remote.replyTo()));
        return Behaviors.same();
    }

    private Behavior<Command> onRemoteRequestRead(RemoteRequestRead read) {
        arriving--;
        // The server log of the node that compiles shows routed work too, not only the node that received it.
        context.getLog().info("Request for {} routed here by {}", read.request().sysInfo().format(),
                read.replyTo().path().address());
        ActorRef<CompileReply> sender = context.spawnAnonymous(resultSender(read.replyTo()));
        accept(read.request(), sender);
        return Behaviors.same();
    }

    /** Sends one result back to the node the request came from. */
    private static Behavior<CompileReply> resultSender(ActorRef<RemoteReply> origin) {
        return Behaviors.receive((context, reply) -> {
            origin.tell(new RemoteReply.Result(Payload.of(reply.result(), context.getSystem())));
            return Behaviors.stopped();
        });
    }

    private void accept(CompileRequest request, ActorRef<CompileReply> replyTo) {
        BuildTarget target = setup.targets().get(request.sysInfo().release());
        if (target == null) {
            replyTo.tell(new CompileReply(CompileResult.refused("Target kernel version "
                    + request.sysInfo().release() + " is not supported by this server")));
            return;
        }
        arriving++;
        CompletableFuture<CacheChecked> checked = CompletableFuture.supplyAsync(() -> {
            Job job = new Job(request, target, keyOf(request, target), replyTo);
            return new CacheChecked(job, job.key() == null ? Optional.empty() : setup.cache().lookup(job.key()));
        }, setup.executor());
        context.pipeToSelf(checked,
                (result, failure) -> result != null ? result : new Failed(replyTo, internalError(failure)));
        reportLoad();
    }

    private CompileKey keyOf(CompileRequest request, BuildTarget target) {
        try {
            return CompileKey.of(request, target, setup.translatorSettings(), setup.translator());
        } catch (IOException e) {
            return null;
        }
    }

    private Behavior<Command> onCacheChecked(CacheChecked checked) {
        arriving--;
        if (checked.cached().isPresent()) {
            checked.job().replyTo().tell(new CompileReply(checked.cached().get()));
        } else if (running < setup.slots()) {
            start(checked.job());
        } else if (queue.size() < setup.queueCapacity()) {
            queue.addLast(checked.job());
        } else {
            checked.job().replyTo().tell(new CompileReply(CompileResult.refused("the server is busy: "
                    + running + " compiles are running and " + queue.size()
                    + " requests are waiting; try again later")));
        }
        return idleCheck();
    }

    private void start(Job job) {
        running++;
        CompletableFuture<CompileResult> compiled = CompletableFuture.supplyAsync(
                () -> setup.runner().compile(job.request(), job.target()), setup.executor());
        context.pipeToSelf(compiled, (result, failure) -> new Compiled(job, result != null ? result
                : internalError(failure)));
    }

    private Behavior<Command> onCompiled(Compiled compiled) {
        running--;
        if (compiled.job().key() != null) {
            setup.cache().store(compiled.job().key(), compiled.result());
        }
        compiled.job().replyTo().tell(new CompileReply(compiled.result()));
        while (running < setup.slots() && !queue.isEmpty()) {
            start(queue.removeFirst());
        }
        return idleCheck();
    }

    private Behavior<Command> onFailed(Failed failed) {
        arriving--;
        failed.replyTo().tell(new CompileReply(failed.result()));
        return idleCheck();
    }

    private Behavior<Command> onDrain(Drain drain) {
        if (!draining) {
            draining = true;
            context.getSystem().receptionist().tell(Receptionist.deregister(SERVICE_KEY, context.getSelf()));
        }
        drainRequesters.add(drain.replyTo());
        return idleCheck();
    }

    /** Tells the routers the new load, and those waiting for a drain when nothing is left. */
    private Behavior<Command> idleCheck() {
        reportLoad();
        if (load() == 0) {
            drainRequesters.forEach(requester -> requester.tell(Done.getInstance()));
            drainRequesters.clear();
        }
        return Behaviors.same();
    }

    /** What routers compare pools by: requests taken and not yet answered. */
    private int load() {
        return arriving + running + queue.size();
    }

    private void reportLoad() {
        int load = load();
        if (load != reportedLoad) {
            reportedLoad = load;
            setup.router().tell(new Router.LocalLoad(context.getSelf(), load));
        }
    }

    private CompileResult internalError(Throwable failure) {
        context.getLog().error("compile failed inside the server", failure);
        return CompileResult.internalError();
    }
}
