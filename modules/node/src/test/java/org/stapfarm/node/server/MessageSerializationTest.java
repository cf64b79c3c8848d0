package org.stapfarm.node.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
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
import org.stapfarm.node.routing.Payload;
import org.stapfarm.node.routing.RemoteReply;
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
    void aCompileRequestTravelsToAPeerWithItsFilesAndReplyAddress() throws Exception {
        TestProbe<RemoteReply> origin = testKit.createTestProbe();
        byte[] script = {0, 1, 2, (byte) 0xff, 'x'};
        CompileRequest request = new CompileRequest(ProtocolVersion.parse("4.8"), new SysInfo("6.1.0-1-amd64", "x86_64"),
                List.of("script/tmp/x.stp", "-p3"), Map.of("LANG", "C.UTF-8"), List.of("missing"),
                List.of(new RequestFile("script/tmp/x.stp", script)), List.of("Localization key 'X' not found"));

        WorkerPool.CompileFromPeer copy = roundTrip(new WorkerPool.CompileFromPeer(
                Payload.of(request, testKit.system()), origin.ref()));

        assertEquals(origin.ref(), copy.replyTo());
        CompileRequest received = read(copy.request(), CompileRequest.class);
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
    void aResultOfSeveralMegabytesTravelsAsAStreamAndArrivesIntact() throws Exception {
        byte[] module = new byte[3_000_000];
        new Random(7).nextBytes(module);
        CompileResult result = new CompileResult(0, "out".getBytes(StandardCharsets.UTF_8), new byte[0],
                List.of(new ResultFile("stap_x.ko", module)), null);

        Payload payload = ((RemoteReply.Result) roundTrip(new RemoteReply.Result(Payload.of(result, testKit.system()))))
                .result();

        assertNull(payload.inline(), "too big for one message");
        CompileResult received = read(payload, CompileResult.class);
        assertEquals(0, received.rc());
        assertArrayEquals(result.stdout(), received.stdout());
        assertArrayEquals(module, received.moduleDirectory().get(0).content());
        assertNull(received.signingKey());
    }

    @Test
    void aPayloadWhoseBytesDoNotMatchItsDigestIsRefused() {
        Payload sent = Payload.of(CompileResult.refused("x"), testKit.system());
        Payload tampered = new Payload(sent.size(), "0".repeat(64), sent.inline(), null);

        ExecutionException failure = assertThrows(ExecutionException.class,
                () -> read(tampered, CompileResult.class));
        assertInstanceOf(Payload.CorruptPayloadException.class, failure.getCause());
    }

    @Test
    void aPayloadAnnouncingMoreThanTheLimitIsRefusedBeforeItIsRead() {
        Payload sent = Payload.of(CompileResult.refused("x"), testKit.system());

        ExecutionException failure = assertThrows(ExecutionException.class, () -> sent.read(CompileResult.class,
                new Payload.Limits(sent.size() - 1, Duration.ofSeconds(5)), testKit.system())
                .toCompletableFuture().get());
        assertInstanceOf(Payload.CorruptPayloadException.class, failure.getCause());
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

    private static <T> T read(Payload payload, Class<T> type) throws Exception {
        return payload.read(type, new Payload.Limits(64 << 20, Duration.ofSeconds(10)), testKit.system())
                .toCompletableFuture().get(20, TimeUnit.SECONDS);
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
