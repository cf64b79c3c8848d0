package org.stapfarm.node.server;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.stapfarm.config.ServerOptions;
import org.stapfarm.config.ServerOptionsParser;
import org.stapfarm.discovery.DnsSdResponder;
import org.stapfarm.management.ChangeReport;
import org.stapfarm.management.ChangeRequest;
import org.stapfarm.management.NodeView;
import org.stapfarm.management.ServerIds;
import org.stapfarm.management.ServerView;
import org.stapfarm.management.StartRequest;
import org.stapfarm.node.CborSerializable;
import org.stapfarm.node.NodeSettings;
import org.stapfarm.node.routing.Router;
import org.stapfarm.protocol.ThisHost;

/**
 * Parent of the node's compile servers: starts and stops them as {@link ChangeRequest}s say, one change at
 * a time, and knows each server's id, nickname and state. A server subtree that crashes is restarted on
 * its own, without touching its siblings. The node has no other purpose than its servers, so it shuts down
 * when the last one has stopped, or when none was started within the idle timeout.
 */
public final class ServerSupervisor extends AbstractBehavior<ServerSupervisor.Command> {

    public interface Command {
    }

    /** Every node's supervisor, so that any node can describe the whole cluster. */
    public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "server-supervisor");

    /** Stop, then start, servers; replies when every part has ended. */
    public record ApplyChange(ChangeRequest change, ActorRef<ChangeReport> replyTo) implements Command {
    }

    /** Asks for this node and its servers: the management API for its commands, any node for the cluster's. */
    public record DescribeNode(ActorRef<NodeDescription> replyTo) implements Command, CborSerializable {
    }

    /**
     * @param address the node's cluster address, `host:port` (see {@link #addressOf})
     * @param host    its host name
     * @param node    its pid, user and servers
     */
    public record NodeDescription(String address, String host, NodeView node) implements CborSerializable {
    }

    private record ServerStopped(long id) implements Command {
    }

    private record ServerStartEnded(long id, StartOutcome outcome) implements Command {
    }

    private record ServerTerminated(long id) implements Command {
    }

    private enum IdleCheck implements Command { INSTANCE }

    private enum NodeIdle implements CoordinatedShutdown.Reason { INSTANCE }

    private static final class Entry {
        final long id;
        final String nickname;
        final List<String> arguments;
        final ActorRef<CompileServer.Command> server;
        String state = ServerView.STARTING;
        StartOutcome.Started started;

        Entry(long id, String nickname, List<String> arguments, ActorRef<CompileServer.Command> server) {
            this.id = id;
            this.nickname = nickname;
            this.arguments = arguments;
            this.server = server;
        }

        ServerView view() {
            return started == null
                    ? new ServerView(id, nickname, arguments, "", List.of(), 0, "", "", state)
                    : new ServerView(id, nickname, arguments, started.arch(), started.releases(), started.port(),
                    started.certinfo(), started.certificate(), state);
        }
    }

    /** The change being carried out: its stops first, then its starts one by one. */
    private static final class Progress {
        final ApplyChange request;
        final List<ChangeReport.Stopped> stopped = new ArrayList<>();
        final List<ChangeReport.Started> started = new ArrayList<>();
        int stopsPending;
        int nextStart;

        Progress(ApplyChange request) {
            this.request = request;
        }
    }

    private final NodeSettings settings;
    private final ActorRef<Router.Command> router;
    private final Optional<DnsSdResponder> dnsSd;
    private final long nodePid = ProcessHandle.current().pid();
    private final String address;
    private final String hostName;
    private final Map<Long, Entry> servers = new LinkedHashMap<>();
    private final Deque<ApplyChange> waiting = new ArrayDeque<>();
    private long sequence;
    private Progress progress;

    /** @param dnsSd where the servers advertise themselves, when the node does DNS-SD */
    public static Behavior<Command> create(NodeSettings settings, ActorRef<Router.Command> router,
                                           Optional<DnsSdResponder> dnsSd) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            timers.startSingleTimer(IdleCheck.INSTANCE, settings.idleTimeout());
            return new ServerSupervisor(context, settings, router, dnsSd);
        }));
    }

    private ServerSupervisor(ActorContext<Command> context, NodeSettings settings, ActorRef<Router.Command> router,
                             Optional<DnsSdResponder> dnsSd) {
        super(context);
        this.settings = settings;
        this.router = router;
        this.dnsSd = dnsSd;
        this.address = addressOf(Cluster.get(context.getSystem()).selfMember().address());
        this.hostName = hostName(context);
        context.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, context.getSelf()));
    }

    /** A cluster address as `host:port`, the way members are named to users. */
    public static String addressOf(Address address) {
        return address.getHost().orElse("") + ":" + address.getPort().map(String::valueOf).orElse("");
    }

    /** The node is described without its host name, rather than not at all, should /proc fail it. */
    private static String hostName(ActorContext<Command> context) {
        try {
            return ThisHost.read().hostName();
        } catch (IOException e) {
            context.getLog().warn("This node's host name is unknown: {}", e.getMessage());
            return "";
        }
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(ApplyChange.class, this::onApplyChange)
                .onMessage(DescribeNode.class, this::onDescribeNode)
                .onMessage(ServerStopped.class, this::onServerStopped)
                .onMessage(ServerStartEnded.class, this::onServerStartEnded)
                .onMessage(ServerTerminated.class, this::onServerTerminated)
                .onMessage(IdleCheck.class, idle -> {
                    stopNodeIfIdle();
                    return this;
                })
                .build();
    }

    private Behavior<Command> onApplyChange(ApplyChange change) {
        waiting.add(change);
        if (progress == null) {
            beginNextChange();
        }
        return this;
    }

    private Behavior<Command> onDescribeNode(DescribeNode describe) {
        describe.replyTo().tell(new NodeDescription(address, hostName, new NodeView(nodePid,
                System.getProperty("user.name"), servers.values().stream().map(Entry::view).toList())));
        return this;
    }

    private void beginNextChange() {
        ApplyChange next = waiting.poll();
        if (next == null) {
            stopNodeIfIdle();
            return;
        }
        progress = new Progress(next);
        for (long id : next.change().stop()) {
            Entry entry = servers.get(id);
            if (entry == null) {
                progress.stopped.add(new ChangeReport.Stopped(id, "no server with id " + id + " runs on this node"));
            } else {
                entry.state = ServerView.STOPPING;
                progress.stopsPending++;
                entry.server.tell(new CompileServer.Stop(
                        getContext().messageAdapter(Done.class, done -> new ServerStopped(id))));
            }
        }
        continueChange();
    }

    private Behavior<Command> onServerStopped(ServerStopped stopped) {
        if (servers.remove(stopped.id()) != null && progress != null) {
            progress.stopped.add(new ChangeReport.Stopped(stopped.id(), ""));
            progress.stopsPending--;
            continueChange();
        }
        return this;
    }

    private void continueChange() {
        if (progress.stopsPending > 0) {
            return;
        }
        List<StartRequest> starts = progress.request.change().start();
        if (progress.nextStart < starts.size()) {
            start(starts.get(progress.nextStart++));
            return;
        }
        progress.request.replyTo().tell(new ChangeReport(progress.stopped, progress.started));
        progress = null;
        beginNextChange();
    }

    private void start(StartRequest request) {
        ServerOptions options;
        try {
            options = ServerOptionsParser.parse(request.arguments());
        } catch (ServerOptionsParser.InvalidOptionsException e) {
            progress.started.add(new ChangeReport.Started(null, "invalid server options: " + e.getMessage()));
            continueChange();
            return;
        }
        String nickname = request.nickname();
        if (!nickname.isEmpty() && servers.values().stream().anyMatch(entry -> entry.nickname.equals(nickname))) {
            progress.started.add(new ChangeReport.Started(null,
                    "a server nicknamed '" + nickname + "' already runs on this node"));
            continueChange();
            return;
        }
        long id = ServerIds.of(nodePid, ++sequence);
        ActorRef<StartOutcome> outcomes =
                getContext().messageAdapter(StartOutcome.class, outcome -> new ServerStartEnded(id, outcome));
        ActorRef<CompileServer.Command> server = getContext().spawn(
                Behaviors.supervise(CompileServer.create("server-" + id, options, settings, router, dnsSd, outcomes))
                        .onFailure(SupervisorStrategy.restart()),
                "server-" + id);
        getContext().watchWith(server, new ServerTerminated(id));
        servers.put(id, new Entry(id, nickname.isEmpty() ? Long.toString(id) : nickname, request.arguments(),
                server));
    }

    private Behavior<Command> onServerStartEnded(ServerStartEnded ended) {
        Entry entry = servers.get(ended.id());
        if (entry == null) {
            return this;
        }
        boolean partOfChange = ServerView.STARTING.equals(entry.state);
        if (ended.outcome() instanceof StartOutcome.Started started) {
            entry.started = started;
            if (partOfChange) {
                entry.state = ServerView.RUNNING;
            }
        }
        if (partOfChange && progress != null) {
            if (ended.outcome() instanceof StartOutcome.Failed failed) {
                servers.remove(ended.id());
                progress.started.add(new ChangeReport.Started(null, failed.message()));
            } else {
                progress.started.add(new ChangeReport.Started(entry.view(), ""));
            }
            continueChange();
        }
        return this;
    }

    private Behavior<Command> onServerTerminated(ServerTerminated terminated) {
        Entry entry = servers.get(terminated.id());
        if (entry != null && !ServerView.STOPPING.equals(entry.state) && !ServerView.STARTING.equals(entry.state)) {
            servers.remove(terminated.id());
            getContext().getLog().warn("Server {} ({}) stopped by itself", entry.id, entry.nickname);
            if (progress == null) {
                stopNodeIfIdle();
            }
        }
        return this;
    }

    private void stopNodeIfIdle() {
        if (servers.isEmpty() && progress == null && waiting.isEmpty()) {
            getContext().getLog().info("No compile server left on this node; the node stops");
            CoordinatedShutdown.get(getContext().getSystem()).runAll(NodeIdle.INSTANCE);
        }
    }
}
