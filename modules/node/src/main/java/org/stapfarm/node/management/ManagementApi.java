package org.stapfarm.node.management;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByName;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stapfarm.management.ChangeReport;
import org.stapfarm.management.ChangeRequest;
import org.stapfarm.management.ManagementClient;
import org.stapfarm.management.ManagementException;
import org.stapfarm.management.ManagementJson;
import org.stapfarm.management.NodeEndpoint;
import org.stapfarm.node.server.ServerSupervisor;

/**
 * The node's management API for the commands: Pekko HTTP on the loopback address, every call carrying
 * the bearer token the node publishes in its private directory (see {@link NodeEndpoint}).
 */
public final class ManagementApi {

    private static final Logger LOG = LoggerFactory.getLogger(ManagementApi.class);
    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(10);
    /** Covers draining servers (shutdown-drain-timeout) and generating keys for new ones. */
    private static final Duration CHANGE_TIMEOUT = Duration.ofMinutes(14);

    private final ActorSystem<ServerSupervisor.Command> system;
    private final byte[] token;

    private ManagementApi(ActorSystem<ServerSupervisor.Command> system, byte[] token) {
        this.system = system;
        this.token = token;
    }

    /**
     * Binds the API, publishes its endpoint in {@code nodeDirectory}, and withdraws it when the node
     * shuts down.
     */
    public static CompletionStage<NodeEndpoint> start(ActorSystem<ServerSupervisor.Command> system,
                                                      Path nodeDirectory) {
        NodeEndpoint unbound = NodeEndpoint.create(0, ProcessHandle.current().pid());
        ManagementApi api = new ManagementApi(system, unbound.token().getBytes(StandardCharsets.US_ASCII));
        return Http.get(system).newServerAt("127.0.0.1", 0).bind(api.routes())
                .thenApply(binding -> publish(system, binding,
                        new NodeEndpoint(binding.localAddress().getPort(), unbound.token(), unbound.pid()),
                        nodeDirectory));
    }

    private static NodeEndpoint publish(ActorSystem<?> system, ServerBinding binding, NodeEndpoint endpoint,
                                        Path nodeDirectory) {
        try {
            endpoint.publish(nodeDirectory);
        } catch (IOException e) {
            binding.unbind();
            throw new IllegalStateException("cannot publish the management endpoint in " + nodeDirectory + ": "
                    + e.getMessage(), e);
        }
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "management-api", () -> {
            try {
                endpoint.withdraw(nodeDirectory);
            } catch (IOException | ManagementException e) {
                LOG.warn("Could not remove the management endpoint: {}", e.getMessage());
            }
            return binding.unbind().thenApply(done -> Done.getInstance());
        });
        return endpoint;
    }

    private Route routes() {
        return optionalHeaderValueByName("Authorization", header -> authorized(header)
                ? concat(
                        path(PathMatchers.separateOnSlashes(ManagementClient.SERVERS_PATH.substring(1)),
                                () -> get(this::listServers)),
                        path(PathMatchers.separateOnSlashes(ManagementClient.CLUSTER_PATH.substring(1)),
                                () -> get(this::describeCluster)),
                        path(PathMatchers.separateOnSlashes(ManagementClient.CHANGES_PATH.substring(1)),
                                () -> post(() -> entity(Unmarshaller.entityToString(), this::applyChange))))
                : complete(StatusCodes.UNAUTHORIZED, "this node's management API needs its access token"));
    }

    private boolean authorized(Optional<String> header) {
        byte[] presented = header.filter(value -> value.startsWith("Bearer "))
                .map(value -> value.substring("Bearer ".length()).getBytes(StandardCharsets.US_ASCII))
                .orElse(new byte[0]);
        return token.length > 0 && MessageDigest.isEqual(token, presented);
    }

    private Route listServers() {
        CompletionStage<ServerSupervisor.NodeDescription> node = AskPattern.ask(system,
                ServerSupervisor.DescribeNode::new, QUERY_TIMEOUT, system.scheduler());
        return onSuccess(node, description -> json(description.node()));
    }

    private Route describeCluster() {
        return onSuccess(ClusterStatus.gather(system), this::json);
    }

    private Route applyChange(String body) {
        ChangeRequest change;
        try {
            change = ManagementJson.MAPPER.readValue(body, ChangeRequest.class);
        } catch (JsonProcessingException e) {
            return complete(StatusCodes.BAD_REQUEST, "not a change request: " + e.getOriginalMessage());
        }
        CompletionStage<ChangeReport> report = AskPattern.ask(system,
                replyTo -> new ServerSupervisor.ApplyChange(change, replyTo), CHANGE_TIMEOUT, system.scheduler());
        return onSuccess(report, this::json);
    }

    private Route json(Object value) {
        try {
            return complete(StatusCodes.OK,
                    HttpEntities.create(ContentTypes.APPLICATION_JSON, ManagementJson.MAPPER.writeValueAsString(value)));
        } catch (JsonProcessingException e) {
            return complete(StatusCodes.INTERNAL_SERVER_ERROR, "cannot encode the answer");
        }
    }
}
