package org.stapfarm.management;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ManagementJsonTest {

    @Test
    void messagesRoundTrip() throws Exception {
        ChangeRequest change = new ChangeRequest(List.of(10_000_042L),
                List.of(new StartRequest(List.of("-r6.1", "--port=0"), "lab")));
        assertEquals(change, roundTrip(change, ChangeRequest.class));
        ServerView server = new ServerView(10_000_042L, "lab", List.of("-r6.1"), "x86_64", List.of("6.1"), 4000,
                "00:11", "MIIB", ServerView.RUNNING);
        ChangeReport report = new ChangeReport(List.of(new ChangeReport.Stopped(1, "")),
                List.of(new ChangeReport.Started(server, ""), new ChangeReport.Started(null, "bad")));
        assertEquals(report, roundTrip(report, ChangeReport.class));
        NodeView node = new NodeView(42, "stap-server", List.of(server));
        assertEquals(node, roundTrip(node, NodeView.class));
    }

    @Test
    void fieldsANewerNodeAddsAreIgnored() throws Exception {
        NodeView node = ManagementJson.MAPPER.readValue(
                "{\"pid\":1,\"user\":\"u\",\"servers\":[],\"cluster\":\"later\"}", NodeView.class);
        assertEquals(new NodeView(1, "u", List.of()), node);
    }

    private static <T> T roundTrip(T value, Class<T> type) throws Exception {
        return ManagementJson.MAPPER.readValue(ManagementJson.MAPPER.writeValueAsString(value), type);
    }
}
