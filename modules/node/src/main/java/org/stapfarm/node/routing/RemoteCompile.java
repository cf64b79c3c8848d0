package org.stapfarm.node.routing;

import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.stapfarm.node.server.WorkerPool;
import org.stapfarm.protocol.CompileResult;

/**
 * One request compiled by a pool of another node, seen from the node that received it: sends the request,
 * reads the result back, and hands the request back to the router for another pool when the node is lost
 * or the pool declines. It never answers the client with a half-read result.
 */
public final class RemoteCompile {

    public interface Command {
    }

    /** The pool's node became unreachable or left the cluster before answering. */
    record Lost(String reason) implements Command {
    }

    private record ResultRead(CompileResult result) implements Command {
    }

    static Behavior<Command> create(Router.Route route, ActorRef<WorkerPool.Command> pool,
                                    Set<ActorRef<WorkerPool.Command>> tried, ActorRef<Router.Command> router,
                                    Payload.Limits limits) {
        return Behaviors.setup(context -> {
            context.watchWith(pool, new Lost("its compile server stopped"));
            pool.tell(new WorkerPool.CompileFromPeer(Payload.of(route.request(), context.getSystem()),
                    context.getSelf().narrow()));
            return new RemoteCompile(context, route, pool, tried, router, limits).behavior();
        });
    }

    private final ActorContext<Command> context;
    private final Router.Route route;
    private final ActorRef<WorkerPool.Command> pool;
    private final Set<ActorRef<WorkerPool.Command>> tried;
    private final ActorRef<Router.Command> router;
    private final Payload.Limits limits;

    private RemoteCompile(ActorContext<Command> context, Router.Route route, ActorRef<WorkerPool.Command> pool,
                          Set<ActorRef<WorkerPool.Command>> tried, ActorRef<Router.Command> router,
                          Payload.Limits limits) {
        this.context = context;
        this.route = route;
        this.pool = pool;
        this.tried = tried;
        this.router = router;
        this.limits = limits;
    }

    private Behavior<Command> behavior() {
        return Behaviors.receive(Command.class)
                .onMessage(RemoteReply.Result.class, this::onResult)
                .onMessage(RemoteReply.Declined.class, declined -> retry(declined.reason()))
                .onMessage(ResultRead.class, read -> {
                    route.replyTo().tell(new CompileReply(read.result()));
                    return Behaviors.stopped();
                })
                .onMessage(Lost.class, lost -> retry(lost.reason()))
                .build();
    }

    private Behavior<Command> onResult(RemoteReply.Result result) {
        context.pipeToSelf(result.result().read(CompileResult.class, limits, context.getSystem()),
                (read, failure) -> read != null ? new ResultRead(read)
                        : new Lost("its result did not arrive intact: " + rootMessage(failure)));
        return Behaviors.same();
    }

    private Behavior<Command> retry(String reason) {
        context.getLog().warn("Request for {} on {} not answered ({}); routing it again",
                route.request().sysInfo().format(), pool.path().address(), reason);
        Set<ActorRef<WorkerPool.Command>> triedNow = new HashSet<>(tried);
        triedNow.add(pool);
        router.tell(new Router.Retry(route, triedNow, pool.path().address() + ": " + reason));
        return Behaviors.stopped();
    }

    private static String rootMessage(Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
    }
}
