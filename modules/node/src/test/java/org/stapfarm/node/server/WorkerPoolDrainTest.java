package org.stapfarm.node.server;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.compiler.BuildTarget;
import org.stapfarm.compiler.CompileCache;
import org.stapfarm.compiler.ResourceLimits;
import org.stapfarm.compiler.StapRunner;
import org.stapfarm.compiler.Translator;
import org.stapfarm.compiler.TranslatorSettings;
import org.stapfarm.node.routing.BuildCapabilities;
import org.stapfarm.node.routing.Payload;
import org.stapfarm.node.routing.RemoteReply;
import org.stapfarm.node.routing.Router;
import org.stapfarm.protocol.CompileRequest;
import org.stapfarm.protocol.ProtocolVersion;
import org.stapfarm.protocol.SysInfo;

/** A pool that was asked to drain takes no more work from other nodes, however often it is asked. */
class WorkerPoolDrainTest {

    private static ActorTestKit testKit;

    @TempDir
    static Path temporary;

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create(ConfigFactory.load());
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void aDrainedPoolDeclinesRequestsOfOtherNodesEvenAfterASecondDrain() throws Exception {
        Translator translator = Translator.probe(Path.of("/usr/bin/stap"));
        TranslatorSettings translatorSettings = new TranslatorSettings(translator.executable(), List.of(), temporary,
                new ResourceLimits(60, 1 << 20, 1L << 30, 0), Duration.ofMinutes(1), 1 << 20, false, Map.of());
        TestProbe<Router.Command> router = testKit.createTestProbe();
        ActorRef<WorkerPool.Command> pool = testKit.spawn(WorkerPool.create(new WorkerPool.Setup(
                new BuildCapabilities("x86_64", List.of("9.0-test"), "p"),
                Map.of("9.0-test", new BuildTarget("9.0-test", "x86_64", temporary, true)), translator,
                translatorSettings, new StapRunner(translatorSettings), new CompileCache(0), 1, 1,
                Executors.newSingleThreadExecutor(), router.ref(),
                new Payload.Limits(1 << 20, Duration.ofSeconds(10)))));
        TestProbe<Done> drained = testKit.createTestProbe();

        pool.tell(new WorkerPool.Drain(drained.ref()));
        drained.expectMessage(Done.getInstance());
        pool.tell(new WorkerPool.Drain(drained.ref()));
        drained.expectMessage(Done.getInstance());

        TestProbe<RemoteReply> origin = testKit.createTestProbe();
        CompileRequest request = new CompileRequest(ProtocolVersion.parse("4.8"), new SysInfo("9.0-test", "x86_64"),
                List.of("-p1", "-e", "probe begin {}"), Map.of(), List.of(), List.of(), List.of());
        pool.tell(new WorkerPool.CompileFromPeer(Payload.of(request, testKit.system()), origin.ref()));
        origin.expectMessage(new RemoteReply.Declined("its compile server is stopping"));
    }
}
