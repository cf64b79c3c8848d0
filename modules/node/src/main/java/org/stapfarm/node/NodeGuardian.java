package org.stapfarm.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.stapfarm.discovery.DiscoverySettings;
import org.stapfarm.discovery.DnsSdResponder;
import org.stapfarm.node.cluster.ClusterMembership;
import org.stapfarm.node.routing.Router;
import org.stapfarm.node.server.ServerSupervisor;
import org.stapfarm.protocol.ThisHost;

/**
 * The root of a node: joins the cluster (itself, when no seed nodes are configured), and owns the router,
 * the supervisor of the node's compile servers, and the DNS-SD responder they advertise through.
 */
public final class NodeGuardian {

    private NodeGuardian() {
    }

    /**
     * Starts a node with these settings (the `stapfarm` and `pekko` blocks), a member of its cluster.
     *
     * @throws IllegalArgumentException when a setting has no usable value; the message names it
     */
    public static ActorSystem<ServerSupervisor.Command> start(Config site)
            throws ClusterMembership.ClusterSetupException {
        NodeSettings settings;
        try {
            settings = NodeSettings.from(site);
        } catch (ConfigException e) {
            throw new IllegalArgumentException("invalid node configuration: " + e.getMessage(), e);
        }
        Config config = ClusterMembership.pekkoSettings(settings.cluster(), settings.systemtapDirectory())
                .withFallback(site);
        return ActorSystem.create(create(settings), ClusterMembership.SYSTEM_NAME, config);
    }

    public static Behavior<ServerSupervisor.Command> create(NodeSettings settings) {
        return Behaviors.setup(context -> {
            Cluster cluster = Cluster.get(context.getSystem());
            if (context.getSystem().settings().config().getStringList("pekko.cluster.seed-nodes").isEmpty()) {
                cluster.manager().tell(Join.create(cluster.selfMember().address()));
            }
            org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(context.getSystem()))
                    .registerOnMemberRemoved(() -> {
                        if (CoordinatedShutdown.get(context.getSystem()).getShutdownReason().isEmpty()) {
                            context.getLog().error("This node was taken out of the cluster; it goes on serving"
                                    + " its own releases, and rejoins when it is restarted");
                        }
                    });
            ActorRef<Router.Command> router = context.spawn(Router.create(settings.cluster().transfer()), "router");
            ActorRef<ServerSupervisor.Command> supervisor =
                    context.spawn(ServerSupervisor.create(settings, router, dnsSd(context, settings.discovery())),
                            "servers");
            return Behaviors.receive(ServerSupervisor.Command.class)
                    .onAnyMessage(command -> {
                        supervisor.tell(command);
                        return Behaviors.same();
                    })
                    .build();
        });
    }

    /**
     * One responder for all the node's servers. It says goodbye for every one of them as soon as the node
     * stops accepting (SIGTERM, or its last server gone), not only when the JVM exits after the drain.
     */
    private static Optional<DnsSdResponder> dnsSd(ActorContext<?> context, DiscoverySettings discovery) {
        if (!discovery.enabled()) {
            return Optional.empty();
        }
        String hostName;
        try {
            hostName = ThisHost.read().hostName();
        } catch (IOException e) {
            context.getLog().warn("Compile servers are not advertised over DNS-SD: {}", e.getMessage());
            return Optional.empty();
        }
        DnsSdResponder responder = new DnsSdResponder(discovery.interfaces(), hostName);
        CoordinatedShutdown.get(context.getSystem()).addTask(CoordinatedShutdown.PhaseServiceUnbind(),
                "dns-sd-goodbye", () -> CompletableFuture.supplyAsync(() -> {
                    responder.close();
                    return Done.getInstance();
                }));
        return Optional.of(responder);
    }
}
