package org.stapfarm.node.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
import org.stapfarm.protocol.CompileResult;
import org.stapfarm.protocol.ProtocolVersion;
import org.stapfarm.protocol.SysInfo;

class RouterTest {

    private static final String PROFILE = BuildCapabilities.profileOf(List.of());
    private static ActorTestKit testKit;
    private final List<ActorRef<Router.Command>> routers = new ArrayList<>();
    private static final List<TestProbe<WorkerPool.Command>> registered = new ArrayList<>();

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
    void findsPoolsOfOtherNodesThroughTheReceptionistAndPrefersLocalOnes() throws Exception {
        ActorRef<Router.Command> router = newRouter();
        TestProbe<WorkerPool.Command> remote = registerRemote(router, "6.1.0-r");
        TestProbe<CompileReply> client = testKit.createTestProbe();

        router.tell(new Router.Route(request("6.1.0-r", "x86_64"), PROFILE, client.ref()));
        WorkerPool.CompileFromPeer routed = remote.expectMessageClass(WorkerPool.CompileFromPeer.class);
        assertEquals("6.1.0-r", read(routed.request(), CompileRequest.class).sysInfo().release());
        routed.replyTo().tell(new RemoteReply.Result(Payload.of(CompileResult.refused("from afar"), testKit.system())));
        assertEquals("Server: from afar\n", stderr(client.expectMessageClass(CompileReply.class)));

        TestProbe<WorkerPool.Command> local = registerLocal(router, "x86_64", List.of("6.1.0-r"), PROFILE);
        router.tell(new Router.Route(request("6.1.0-r", "x86_64"), PROFILE, client.ref()));
        local.expectMessageClass(WorkerPool.Compile.class);
        remote.expectNoMessage(Duration.ofMillis(200));
    }

    @Test
    void sendsWorkToTheLeastLoadedOfTheRemotePools() {
        ActorRef<Router.Command> router = newRouter();
        List<TestProbe<WorkerPool.Command>> pools = remotePoolsReporting(router, "6.1.0-l", 10, 1);
        TestProbe<WorkerPool.Command> busy = pools.get(0);
        TestProbe<WorkerPool.Command> idle = pools.get(1);
        TestProbe<CompileReply> client = testKit.createTestProbe();

        for (int i = 0; i < 3; i++) {
            router.tell(new Router.Route(request("6.1.0-l", "x86_64"), PROFILE, client.ref()));
            idle.expectMessageClass(WorkerPool.CompileFromPeer.class);
        }
        busy.expectNoMessage(Duration.ofMillis(200));
    }

    @Test
    void aBurstSpreadsEvenlyBeforeAnyPoolReportsItsLoad() {
        ActorRef<Router.Command> router = newRouter();
        List<TestProbe<WorkerPool.Command>> pools = remotePoolsReporting(router, "6.1.0-b", 0, 0);
        TestProbe<WorkerPool.Command> first = pools.get(0);
        TestProbe<WorkerPool.Command> second = pools.get(1);
        TestProbe<CompileReply> client = testKit.createTestProbe();

        for (int i = 0; i < 6; i++) {
            router.tell(new Router.Route(request("6.1.0-b", "x86_64"), PROFILE, client.ref()));
        }

        assertEquals(3, first.receiveSeveralMessages(3).size());
        assertEquals(3, second.receiveSeveralMessages(3).size());
        first.expectNoMessage(Duration.ofMillis(200));
        second.expectNoMessage(Duration.ofMillis(100));
    }

    @Test
    void aRequestWhosePoolIsLostOrDeclinesGoesToAnotherAndOtherwiseEndsWithAClearError() {
        ActorRef<Router.Command> router = newRouter();
        TestProbe<WorkerPool.Command> first = registerRemote(router, "6.1.0-x");
        TestProbe<WorkerPool.Command> second = registerRemote(router, "6.1.0-x");
        TestProbe<CompileReply> client = testKit.createTestProbe();

        router.tell(new Router.Route(request("6.1.0-x", "x86_64"), PROFILE, client.ref()));
        TestProbe<WorkerPool.Command> taker = receivedEither(first, second);
        TestProbe<WorkerPool.Command> other = taker == first ? second : first;
        taker.stop();
        WorkerPool.CompileFromPeer retried = other.expectMessageClass(WorkerPool.CompileFromPeer.class);
        retried.replyTo().tell(new RemoteReply.Declined("its compile server is stopping"));

        String stderr = stderr(client.expectMessageClass(CompileReply.class));
        assertTrue(stderr.startsWith("Server: the node compiling this request was lost ("), stderr);
        assertTrue(stderr.contains("its compile server is stopping) and no other node of the cluster builds"
                + " 6.1.0-x (x86_64)"), stderr);
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
    void stopRoutersAndPools() {
        routers.forEach(testKit::stop);
        routers.clear();
        registered.forEach(pool ->
                testKit.system().receptionist().tell(Receptionist.deregister(WorkerPool.SERVICE_KEY, pool.ref())));
        registered.clear();
    }

    private ActorRef<Router.Command> newRouter() {
        ActorRef<Router.Command> router =
                testKit.spawn(Router.create(new Payload.Limits(64 << 20, Duration.ofSeconds(10))));
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

    /** Remote pools building {@code release}, one per load, each having reported that load. */
    private static List<TestProbe<WorkerPool.Command>> remotePoolsReporting(ActorRef<Router.Command> router,
                                                                           String release, int... loads) {
        List<TestProbe<WorkerPool.Command>> pools = new ArrayList<>();
        for (int load : loads) {
            TestProbe<WorkerPool.Command> pool = registerRemote(router, release);
            router.tell(new Router.PoolLoad(pool.ref(), load));
            pools.add(pool);
        }
        return pools;
    }

    /** A pool as the Receptionist lists it for another node: described on request, reached by messages. */
    private static TestProbe<WorkerPool.Command> registerRemote(ActorRef<Router.Command> router, String release) {
        TestProbe<WorkerPool.Command> remote = testKit.createTestProbe();
        testKit.system().receptionist().tell(Receptionist.register(WorkerPool.SERVICE_KEY, remote.ref()));
        // A release of its own tells when the router knows this pool, without sending work to the others.
        String ownRelease = "only-" + remote.ref().path().name();
        remote.expectMessageClass(WorkerPool.Describe.class, Duration.ofSeconds(10)).replyTo()
                .tell(new BuildCapabilities("x86_64", List.of(release, ownRelease), PROFILE));
        registered.add(remote);
        TestProbe<CompileReply> client = testKit.createTestProbe();
        WorkerPool.CompileFromPeer found = client.awaitAssert(() -> {
            router.tell(new Router.Route(request(ownRelease, "x86_64"), PROFILE, client.ref()));
            return remote.expectMessageClass(WorkerPool.CompileFromPeer.class, Duration.ofMillis(200));
        });
        found.replyTo().tell(new RemoteReply.Result(Payload.of(CompileResult.refused("probe"), testKit.system())));
        client.expectMessageClass(CompileReply.class);
        // Its end is then also on its way to the router, ahead of whatever the test sends next.
        client.expectTerminated(found.replyTo());
        return remote;
    }

    private static TestProbe<WorkerPool.Command> receivedEither(TestProbe<WorkerPool.Command> first,
                                                                TestProbe<WorkerPool.Command> second) {
        for (int attempt = 0; attempt < 40; attempt++) {
            for (TestProbe<WorkerPool.Command> pool : List.of(first, second)) {
                try {
                    pool.expectMessageClass(WorkerPool.CompileFromPeer.class, Duration.ofMillis(50));
                    return pool;
                } catch (AssertionError notYet) {
                    // the other one may have it
                }
            }
        }
        throw new AssertionError("neither pool got the request");
    }

    private static <T> T read(Payload payload, Class<T> type) throws Exception {
        return payload.read(type, new Payload.Limits(1 << 20, Duration.ofSeconds(5)), testKit.system())
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static String stderr(CompileReply reply) {
        return new String(reply.result().stderr(), StandardCharsets.UTF_8);
    }

    private static CompileRequest request(String release, String arch) {
        return new CompileRequest(ProtocolVersion.parse("4.8"), new SysInfo(release, arch), List.of("-p2"),
                Map.of(), List.of(), List.of(), List.of());
    }
}
