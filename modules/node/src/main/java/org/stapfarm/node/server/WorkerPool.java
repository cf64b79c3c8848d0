package org.stapfarm.node.server;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
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

    public record Compile(CompileRequest request, ActorRef<CompileReply> replyTo) implements Command, CborSerializable {
    }

    public record Describe(ActorRef<BuildCapabilities> replyTo) implements Command, CborSerializable {
    }

    private record CacheChecked(Job job, Optional<CompileResult> cached) implements Command {
    }

    private record Compiled(Job job, CompileResult result) implements Command {
    }

    /** A request that failed before it took a slot. */
    private record Failed(ActorRef<CompileReply> replyTo, CompileResult result) implements Command {
    }

    /** `key` is null when the build environment could not be examined; such a job bypasses the cache. */
    private record Job(CompileRequest request, BuildTarget target, CompileKey key, ActorRef<CompileReply> replyTo) {
    }

    /** What a pool works with; the translator runs happen on `executor`, never on the actor's thread. */
    public record Setup(BuildCapabilities capabilities, Map<String, BuildTarget> targets, Translator translator,
                        TranslatorSettings translatorSettings, StapRunner runner, CompileCache cache, int slots,
                        int queueCapacity, Executor executor) {
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
    private int running;

    private WorkerPool(ActorContext<Command> context, Setup setup) {
        this.context = context;
        this.setup = setup;
    }

    private Behavior<Command> behavior() {
        return Behaviors.receive(Command.class)
                .onMessage(Compile.class, this::onCompile)
                .onMessage(Describe.class, this::onDescribe)
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
        BuildTarget target = setup.targets().get(compile.request().sysInfo().release());
        if (target == null) {
            compile.replyTo().tell(new CompileReply(CompileResult.refused("Target kernel version "
                    + compile.request().sysInfo().release() + " is not supported by this server")));
            return Behaviors.same();
        }
        CompletableFuture<CacheChecked> checked = CompletableFuture.supplyAsync(() -> {
            Job job = new Job(compile.request(), target, keyOf(compile.request(), target), compile.replyTo());
            return new CacheChecked(job, job.key() == null ? Optional.empty() : setup.cache().lookup(job.key()));
        }, setup.executor());
        context.pipeToSelf(checked,
                (result, failure) -> result != null ? result
                        : new Failed(compile.replyTo(), internalError(failure)));
        return Behaviors.same();
    }

    private CompileKey keyOf(CompileRequest request, BuildTarget target) {
        try {
            return CompileKey.of(request, target, setup.translatorSettings(), setup.translator());
        } catch (IOException e) {
            return null;
        }
    }

    private Behavior<Command> onCacheChecked(CacheChecked checked) {
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
        return Behaviors.same();
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
        return Behaviors.same();
    }

    private Behavior<Command> onFailed(Failed failed) {
        failed.replyTo().tell(new CompileReply(failed.result()));
        return Behaviors.same();
    }

    private CompileResult internalError(Throwable failure) {
        context.getLog().error("compile failed inside the server", failure);
        return CompileResult.internalError();
    }
}
