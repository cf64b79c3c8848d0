package org.stapfarm.management;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A command's connection to one node's management API. */
public final class ManagementClient implements NodeManagement {

    /** Paths of the API, shared with the node's routes. */
    public static final String SERVERS_PATH = "/v1/servers";
    public static final String CHANGES_PATH = "/v1/changes";

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(15);
    /** A change may drain servers and generate keys; the node bounds both, this only guards against a hang. */
    private static final Duration CHANGE_TIMEOUT = Duration.ofMinutes(15);

    private final NodeEndpoint endpoint;
    private final HttpClient http;

    public ManagementClient(NodeEndpoint endpoint) {
        this.endpoint = endpoint;
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    }

    public NodeEndpoint endpoint() {
        return endpoint;
    }

    @Override
    public NodeView node() throws ManagementException {
        return call(request(SERVERS_PATH, QUERY_TIMEOUT).GET().build(), NodeView.class);
    }

    @Override
    public ChangeReport change(ChangeRequest change) throws ManagementException {
        String body;
        try {
            body = ManagementJson.MAPPER.writeValueAsString(change);
        } catch (IOException e) {
            throw new ManagementException("cannot encode the request: " + e.getMessage(), e);
        }
        return call(request(CHANGES_PATH, CHANGE_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), ChangeReport.class);
    }

    private HttpRequest.Builder request(String path, Duration timeout) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + path))
                .timeout(timeout)
                .header("Authorization", "Bearer " + endpoint.token());
    }

    private <T> T call(HttpRequest request, Class<T> type) throws ManagementException {
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new ManagementException("the node (pid " + endpoint.pid() + ") does not answer on port "
                    + endpoint.port() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ManagementException("interrupted while waiting for the node", e);
        }
        if (response.statusCode() != 200) {
            throw new ManagementException("the node refused the request (HTTP " + response.statusCode() + "): "
                    + response.body());
        }
        try {
            return ManagementJson.MAPPER.readValue(response.body(), type);
        } catch (IOException e) {
            throw new ManagementException("the node sent an answer this command cannot read: " + e.getMessage(), e);
        }
    }
}
