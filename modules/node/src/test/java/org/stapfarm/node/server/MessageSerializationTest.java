package org.stapfarm.node.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.jackson.JacksonCborSerializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.stapfarm.management.NodeView;
import org.stapfarm.management.ServerView;
import org.stapfarm.node.routing.BuildCapabilities;
import org.stapfarm.node.routing.CompileReply;
import org.stapfarm.protocol.CompileRequest;
import org.stapfarm.protocol.CompileResult;
import org.stapfarm.protocol.ProtocolVersion;
import org.stapfarm.protocol.RequestFile;
import org.stapfarm.protocol.ResultFile;
import org.stapfarm.protocol.SysInfo;

/** The messages that cross nodes survive the cluster's serializer intact, binary content included. */
class MessageSerializationTest {

    private static ActorTestKit testKit;
    private static Serialization serialization;

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create(ConfigFactory.load());
        serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void aCompileRequestTravelsWithItsFilesAndReplyAddress() {
        TestProbe<CompileReply> client = testKit.createTestProbe();
        byte[] script = {0, 1, 2, (byte) 0xff, 'x'};
        CompileRequest request = new CompileRequest(ProtocolVersion.parse("4.8"), new SysInfo("6.1.0-1-amd64", "x86_64"),
                List.of("script/tmp/x.stp", "-p3"), Map.of("LANG", "C.UTF-8"), List.of("missing"),
                List.of(new RequestFile("script/tmp/x.stp", script)), List.of("Localization key 'X' not found"));

        WorkerPool.Compile copy = roundTrip(new WorkerPool.Compile(request, client.ref()));

        assertEquals(client.ref(), copy.replyTo());
        CompileRequest received = copy.request();
        assertEquals(request.clientVersion(), received.clientVersion());
        assertEquals(request.sysInfo(), received.sysInfo());
        assertEquals(request.arguments(), received.arguments());
        assertEquals(request.locale(), received.locale());
        assertEquals(request.mokFingerprints(), received.mokFingerprints());
        assertEquals(request.serverMessages(), received.serverMessages());
        assertEquals("script/tmp/x.stp", received.files().get(0).path());
        assertArrayEquals(script, received.files().get(0).content());
    }

    @Test
    void aResultTravelsWithItsModuleBytes() {
        byte[] module = new byte[300_000];
        new Random(7).nextBytes(module);
        CompileResult result = new CompileResult(0, "out".getBytes(StandardCharsets.UTF_8), new byte[0],
                List.of(new ResultFile("stap_x.ko", module)), null);

        CompileResult received = roundTrip(new CompileReply(result)).result();

        assertEquals(0, received.rc());
        assertArrayEquals(result.stdout(), received.stdout());
        assertArrayEquals(module, received.moduleDirectory().get(0).content());
        assertNull(received.signingKey());
    }

    @Test
    void capabilitiesTravel() {
        BuildCapabilities capabilities = new BuildCapabilities("x86_64", List.of("a", "b"), "0123456789abcdef");
        assertEquals(capabilities, roundTrip(capabilities));
    }

    @Test
    void aNodeDescriptionTravelsWithItsServers() {
        ServerView server = new ServerView(10_004_242L, "lab", List.of("-r6.1.0-9", "--port=30101"), "x86_64",
                List.of("6.1.0-9"), 30101, "00:11", "MIIB", ServerView.RUNNING);
        ServerSupervisor.NodeDescription description = new ServerSupervisor.NodeDescription("10.0.0.5:2552",
                "build-1", new NodeView(4242, "stap-server", List.of(server)));
        assertEquals(description, roundTrip(description));
    }

    @Test
    void aDescriptionIsAskedWithItsReplyAddress() {
        TestProbe<ServerSupervisor.NodeDescription> asker = testKit.createTestProbe();
        assertEquals(asker.ref(), roundTrip(new ServerSupervisor.DescribeNode(asker.ref())).replyTo());
    }

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(T message) {
        Serializer serializer = serialization.findSerializerFor(message);
        assertEquals(JacksonCborSerializer.class, serializer.getClass(), "bound to jackson-cbor in application.conf");
        byte[] bytes = serialization.serialize(message).get();
        return (T) serialization.deserialize(bytes, serializer.identifier(),
                Serializers.manifestFor(serializer, message)).get();
    }
}
