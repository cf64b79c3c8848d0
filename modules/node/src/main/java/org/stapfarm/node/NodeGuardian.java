package org.stapfarm.node;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.stapfarm.node.routing.Router;
import org.stapfarm.node.server.ServerSupervisor;

/**
 * The root of a node: joins the cluster (itself, when no seed nodes are configured), and owns the router
 * and the supervisor of the node's compile servers.
 */
public final class NodeGuardian {

    private NodeGuardian() {
    }

    public static Behavior<ServerSupervisor.Command> create(NodeSettings settings) {
        return Behaviors.setup(context -> {
            Cluster cluster = Cluster.get(context.getSystem());
            if (context.getSystem().settings().config().getStringList("pekko.cluster.seed-nodes").isEmpty()) {
                cluster.manager().tell(Join.create(cluster.selfMember().address()));
            }
            ActorRef<Router.Command> router = context.spawn(Router.create(), "router");
            ActorRef<ServerSupervisor.Command> supervisor =
                    context.spawn(ServerSupervisor.create(settings, router), "servers");
            return Behaviors.receive(ServerSupervisor.Command.class)
                    .onAnyMessage(command -> {
                        supervisor.tell(command);
                        return Behaviors.same();
                    })
                    .build();
        });
    }
}
