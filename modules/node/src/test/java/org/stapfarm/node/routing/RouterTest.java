package org.stapfarm.node.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.stapfarm.node.server.WorkerPool;
import org.stapfarm.protocol.CompileRequest;
import org.stapfarm.protocol.ProtocolVersion;
import org.stapfarm.protocol.SysInfo;

class RouterTest {

    private static final String PROFILE = BuildCapabilities.profileOf(List.of());
    private static ActorTestKit testKit;
    private final List<ActorRef<Router.Command>> routers = new ArrayList<>();

    @BeforeAll
    static void startCluster() {
        testKit = ActorTestKit.create(ConfigFactory.load());
        Cluster cluster = Cluster.get(testKit.system());
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void sendsARequestToTheLocalPoolThatBuildsItsRelease() {
        ActorRef<Router.Command> router = newRouter();
        TestProbe<WorkerPool.Command> first = registerLocal(router, "x86_64", List.of("6.1.0-a"), PROFILE);
        TestProbe<WorkerPool.Command> second = registerLocal(router, "x86_64", List.of("6.1.0-b"), PROFILE);
        TestProbe<CompileReply> client = testKit.createTestProbe();

        router.tell(new Router.Route(request("6.1.0-b", "x86_64"), PROFILE, client.ref()));

        WorkerPool.Compile compile = second.expectMessageClass(WorkerPool.Compile.class);
        assertEquals("6.1.0-b", compile.request().sysInfo().release());
        assertEquals(client.ref(), compile.replyTo());
        first.expectNoMessage(Duration.ofMillis(200));
    }

    @Test
    void refusesAnUnknownReleaseNamingWhatIsAvailable() {
        ActorRef<Router.Command> router = newRouter();
        registerLocal(router, "x86_64", List.of("6.1.0-a", "6.1.0-c"), PROFILE);
        TestProbe<CompileReply> client = testKit.createTestProbe();

        router.tell(new Router.Route(request("9.9.9", "x86_64"), PROFILE, client.ref()));

        CompileReply reply = client.expectMessageClass(CompileReply.class);
        String stderr = new String(reply.result().stderr(), StandardCharsets.UTF_8);
        assertEquals(1, reply.result().rc());
        assertTrue(stderr.startsWith("Server: Target kernel version 9.9.9 (x86_64) is not supported by this server."),
                stderr);
        assertTrue(stderr.contains("6.1.0-a x86_64, 6.1.0-c x86_64"), stderr);
    }

    @Test
    void neverSendsARequestToAPoolOfAnotherArchitectureOrProfile() {
        ActorRef<Router.Command> router = newRouter();
        TestProbe<WorkerPool.Command> arm = registerLocal(router, "arm64", List.of("6.1.0-a"), PROFILE);
        TestProbe<WorkerPool.Command> otherProfile = registerLocal(router, "x86_64", List.of("6.1.0-a"),
                BuildCapabilities.profileOf(List.of("-DFOO=1")));
        TestProbe<CompileReply> client = testKit.createTestProbe();

        router.tell(new Router.Route(request("6.1.0-a", "x86_64"), PROFILE, client.ref()));

        assertEquals(1, client.expectMessageClass(CompileReply.class).result().rc());
        arm.expectNoMessage(Duration.ofMillis(100));
        otherProfile.expectNoMessage(Duration.ofMillis(100));
    }

    @Test
    void findsPoolsOfOtherNodesThroughTheReceptionistAndPrefersLocalOnes() {
        ActorRef<Router.Command> router = newRouter();
        TestProbe<WorkerPool.Command> remote = testKit.createTestProbe();
        testKit.system().receptionist().tell(Receptionist.register(WorkerPool.SERVICE_KEY, remote.ref()));
        WorkerPool.Describe describe = remote.expectMessageClass(WorkerPool.Describe.class, Duration.ofSeconds(10));
        describe.replyTo().tell(new BuildCapabilities("x86_64", List.of("6.1.0-r"), PROFILE));
        TestProbe<CompileReply> client = testKit.createTestProbe();
        client.awaitAssert(() -> {
            router.tell(new Router.Route(request("6.1.0-r", "x86_64"), PROFILE, client.ref()));
            remote.expectMessageClass(WorkerPool.Compile.class, Duration.ofMillis(200));
            return null;
        });

        TestProbe<WorkerPool.Command> local = registerLocal(router, "x86_64", List.of("6.1.0-r"), PROFILE);
        router.tell(new Router.Route(request("6.1.0-r", "x86_64"), PROFILE, client.ref()));
        local.expectMessageClass(WorkerPool.Compile.class);
        remote.expectNoMessage(Duration.ofMillis(200));
        testKit.system().receptionist().tell(Receptionist.deregister(WorkerPool.SERVICE_KEY, remote.ref()));
    }

    @Test
    void forgetsAPoolThatStopped() {
        ActorRef<Router.Command> router = newRouter();
        TestProbe<WorkerPool.Command> pool = registerLocal(router, "x86_64", List.of("6.1.0-s"), PROFILE);
        pool.stop();
        TestProbe<CompileReply> client = testKit.createTestProbe();
        client.awaitAssert(() -> {
            router.tell(new Router.Route(request("6.1.0-s", "x86_64"), PROFILE, client.ref()));
            assertEquals(1, client.expectMessageClass(CompileReply.class, Duration.ofMillis(300)).result().rc());
            return null;
        });
    }

    /** Routers of earlier tests would also ask pools to describe themselves; each test has only its own. */
    @AfterEach
    void stopRouters() {
        routers.forEach(testKit::stop);
        routers.clear();
    }

    private ActorRef<Router.Command> newRouter() {
        ActorRef<Router.Command> router = testKit.spawn(Router.create());
        routers.add(router);
        return router;
    }

    private static TestProbe<WorkerPool.Command> registerLocal(ActorRef<Router.Command> router, String arch,
                                                               List<String> releases, String profile) {
        TestProbe<WorkerPool.Command> pool = testKit.createTestProbe();
        TestProbe<Done> ack = testKit.createTestProbe();
        router.tell(new Router.RegisterLocalPool(pool.ref(), new BuildCapabilities(arch, releases, profile), ack.ref()));
        ack.expectMessage(Done.getInstance());
        return pool;
    }

    private static CompileRequest request(String release, String arch) {
        return new CompileRequest(ProtocolVersion.parse("4.8"), new SysInfo(release, arch), List.of("-p2"),
                Map.of(), List.of(), List.of(), List.of());
    }
}
