package org.stapfarm.node.management;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent.CurrentClusterState;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.stapfarm.management.ClusterView;
import org.stapfarm.node.server.ServerSupervisor;
import org.stapfarm.node.server.ServerSupervisor.NodeDescription;

/**
 * What `GET /v1/cluster` answers: every member of the cluster, with what its {@link ServerSupervisor} says
 * about it. All supervisors are asked at once; one that does not answer in time leaves its member listed
 * without servers, and never fails the whole answer.
 */
final class ClusterStatus {

    /** A command waits for the slowest member; a node that answers at all answers within milliseconds. */
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(3);

    private ClusterStatus() {
    }

    /** @param system a node, whose guardian passes the supervisor's commands on */
    static CompletionStage<ClusterView> gather(ActorSystem<ServerSupervisor.Command> system) {
        Cluster cluster = Cluster.get(system);
        Address self = cluster.selfMember().address();
        CurrentClusterState state = cluster.state();
        Set<Address> unreachable = state.getUnreachable().stream().map(Member::address).collect(Collectors.toSet());
        CompletionStage<Set<ActorRef<ServerSupervisor.Command>>> supervisors = AskPattern.<Receptionist.Command,
                        Receptionist.Listing>ask(system.receptionist(),
                        replyTo -> Receptionist.find(ServerSupervisor.SERVICE_KEY, replyTo), ANSWER_TIMEOUT,
                        system.scheduler())
                .thenApply(listing -> listing.getServiceInstances(ServerSupervisor.SERVICE_KEY))
                .exceptionally(failure -> Set.of());
        // This node's own supervisor is asked directly: it registers with the receptionist only as the node starts.
        return supervisors
                .thenCompose(found -> describe(system, Stream.concat(Stream.of(system), found.stream()
                        .filter(supervisor -> supervisor.path().address().hasGlobalScope()
                                && !unreachable.contains(supervisor.path().address()))).toList()))
                .thenApply(descriptions -> view(self, state, unreachable, descriptions));
    }

    /** The answers of {@code supervisors}, by their members' addresses; those that did not answer are left out. */
    private static CompletionStage<Map<String, NodeDescription>> describe(
            ActorSystem<?> system, List<ActorRef<ServerSupervisor.Command>> supervisors) {
        List<CompletableFuture<NodeDescription>> answers = supervisors.stream()
                .map(supervisor -> AskPattern.<ServerSupervisor.Command, NodeDescription>ask(supervisor,
                                ServerSupervisor.DescribeNode::new, ANSWER_TIMEOUT, system.scheduler())
                        .exceptionally(failure -> null)
                        .toCompletableFuture())
                .toList();
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                .thenApply(done -> answers.stream().map(CompletableFuture::join).filter(Objects::nonNull)
                        .collect(Collectors.toMap(NodeDescription::address, Function.identity(),
                                (first, second) -> first)));
    }

    private static ClusterView view(Address self, CurrentClusterState state, Set<Address> unreachable,
                                    Map<String, NodeDescription> descriptions) {
        List<Address> addresses = new ArrayList<>();
        state.getMembers().forEach(member -> addresses.add(member.address()));
        // Until its join is seen, a node is not among the members it knows; it still answers for itself.
        if (!addresses.contains(self)) {
            addresses.add(0, self);
        }
        return new ClusterView(addresses.stream().map(address -> {
            String name = ServerSupervisor.addressOf(address);
            NodeDescription description = descriptions.get(name);
            return new ClusterView.Member(name, description == null ? "" : description.host(), address.equals(self),
                    !unreachable.contains(address), description == null ? null : description.node());
        }).toList());
    }
}
