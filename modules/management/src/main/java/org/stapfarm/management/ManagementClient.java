package org.stapfarm.management;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A command's connection to one node's management API. */
public final class ManagementClient implements NodeManagement {

    /** Paths of the API, shared with the node's routes. */
    public static final String SERVERS_PATH = "/v1/servers";
    public static final String CHANGES_PATH = "/v1/changes";
    public static final String CLUSTER_PATH = "/v1/cluster";

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(15);
    /** A change may drain servers and generate keys; the node bounds both, this only guards against a hang. */
    private static final Duration CHANGE_TIMEOUT = Duration.ofMinutes(15);

    private final NodeEndpoint endpoint;

    public ManagementClient(NodeEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    public NodeEndpoint endpoint() {
        return endpoint;
    }

    @Override
    public NodeView node() throws ManagementException {
        return call("GET", SERVERS_PATH, null, QUERY_TIMEOUT, NodeView.class);
    }

    @Override
    public ClusterView cluster() throws ManagementException {
        return call("GET", CLUSTER_PATH, null, QUERY_TIMEOUT, ClusterView.class);
    }

    @Override
    public ChangeReport change(ChangeRequest change) throws ManagementException {
        byte[] body;
        try {
            body = ManagementJson.MAPPER.writeValueAsBytes(change);
        } catch (IOException e) {
            throw new ManagementException("cannot encode the request: " + e.getMessage(), e);
        }
        return call("POST", CHANGES_PATH, body, CHANGE_TIMEOUT, ChangeReport.class);
    }

    /**
     * One call over HttpURLConnection: java.net.http.HttpClient would set up TLS and a selector thread
     * first, which costs a command more than a tenth of a second for a plain loopback request.
     */
    private <T> T call(String method, String path, byte[] body, Duration timeout, Class<T> type)
            throws ManagementException {
        HttpURLConnection connection = null;
        try {
            connection = (HttpURLConnection) new URL("http", "127.0.0.1", endpoint.port(), path)
                    .openConnection(Proxy.NO_PROXY);
            connection.setRequestMethod(method);
            connection.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
            connection.setReadTimeout((int) timeout.toMillis());
            connection.setRequestProperty("Authorization", "Bearer " + endpoint.token());
            if (body != null) {
                connection.setDoOutput(true);
                connection.setRequestProperty("Content-Type", "application/json");
                connection.setFixedLengthStreamingMode(body.length);
                try (OutputStream out = connection.getOutputStream()) {
                    out.write(body);
                }
            }
            int status = connection.getResponseCode();
            if (status != 200) {
                InputStream error = connection.getErrorStream();
                String reason = error == null ? "" : new String(error.readAllBytes(), StandardCharsets.UTF_8);
                throw new ManagementException("the node refused the request (HTTP " + status + "): " + reason);
            }
            byte[] answer;
            try (InputStream in = connection.getInputStream()) {
                answer = in.readAllBytes();
            }
            try {
                return ManagementJson.MAPPER.readValue(answer, type);
            } catch (IOException e) {
                throw new ManagementException("the node sent an answer this command cannot read: " + e.getMessage(),
                        e);
            }
        } catch (IOException e) {
            throw new ManagementException("the node (pid " + endpoint.pid() + ") does not answer on port "
                    + endpoint.port() + ": " + e.getMessage(), e);
        } finally {
            if (connection != null) {
                connection.disconnect();
            }
        }
    }
}
