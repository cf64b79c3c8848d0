package org.stapfarm.node.server;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.stapfarm.config.ServerOptions;
import org.stapfarm.node.NodeSettings;
import org.stapfarm.node.routing.Router;

/**
 * Parent of the node's compile servers. A server subtree that crashes is restarted on its own, without
 * touching its siblings.
 */
public final class ServerSupervisor {

    public interface Command {
    }

    public record StartServer(String name, ServerOptions options, ActorRef<StartOutcome> replyTo) implements Command {
    }

    public static Behavior<Command> create(NodeSettings settings, ActorRef<Router.Command> router) {
        return Behaviors.setup(context -> Behaviors.receive(Command.class)
                .onMessage(StartServer.class, start -> {
                    String childName = "server-" + start.name();
                    if (context.getChild(childName).isPresent()) {
                        start.replyTo().tell(new StartOutcome.Failed(start.name(),
                                "a server named '" + start.name() + "' is already running"));
                    } else {
                        context.spawn(Behaviors.supervise(
                                        CompileServer.create(start.name(), start.options(), settings, router,
                                                start.replyTo()))
                                .onFailure(SupervisorStrategy.restart()), childName);
                    }
                    return Behaviors.same();
                })
                .build());
    }
}
