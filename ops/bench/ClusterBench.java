// ClusterBench: what routing a compile request to another node of the cluster adds to its latency, and what
// a second node adds to throughput, with real nodes (bin/stap-serverd, one JVM each) on this machine.
//
// A single-file Java 17 program that uses Bench.java here (compiled onto its class path) and the
// distribution's protocol and trust classes:
//   java -cp "BENCH-CLASSES:DIST/lib/*" ops/bench/ClusterBench.java --dist DIST [options]
// Run it as an unprivileged user (nodes refuse root); ops/bench/cluster does that for an operator.
// See ops/bench/README.md for what is measured and how to read the report.

import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.stapfarm.protocol.ClientArguments;
import org.stapfarm.protocol.ClientLocale;
import org.stapfarm.protocol.CompileRequest;
import org.stapfarm.protocol.CompileResult;
import org.stapfarm.protocol.ProtocolVersion;
import org.stapfarm.protocol.RequestCodec;
import org.stapfarm.protocol.ResponseCodec;
import org.stapfarm.protocol.SysInfo;
import org.stapfarm.protocol.ThisHost;
import org.stapfarm.security.Certificates;
import org.stapfarm.security.ServerCertificateTrust;

public class ClusterBench implements Bench.Driver {

    static final String SMALL_SCRIPT = "probe begin { exit() }";
    /** What -p2 of the small script prints, whichever node compiled it. */
    static final String SMALL_EXPECTED = "begin";
    /** Every tracepoint of the release: -p3 writes several MB of C, without debuginfo. */
    static final String LARGE_SCRIPT = "probe kernel.trace(\"*\") { printf(\"%s %s\\n\", pn(), $$parms) }";
    static final String LARGE_EXPECTED = "kernel.trace";
    /** The protocol the requests speak: that of Debian's stock 4.8 client. */
    static final ProtocolVersion CLIENT_VERSION = ProtocolVersion.parse("4.8");
    /** Pekko's actor-system-terminate phase gives up after 10 s; a node still alive well after that is stuck. */
    static final long STOP_GRACE_SECONDS = 30;
    static final long START_TIMEOUT_SECONDS = 120;
    static final double OTHER_LOAD_WARNING = 10.0;

    public static void main(String[] args) {
        Bench.launch("ClusterBench", Options.USAGE, "ops/bench/cluster", args, Options::parse, ClusterBench::new);
    }

    // ------------------------------------------------------------------------------------------------
    // Options

    static final class Options extends Bench.Locations {
        static final String USAGE = """
                usage: java -cp "BENCH-CLASSES:DIST/lib/*" ClusterBench.java [options]
                       (as an unprivileged user; as root: ops/bench/cluster)
                  --requests N      latency samples per target, cache answering (default 200)
                  --warmup N        unrecorded requests per target before them (default 20)
                  --large N         samples per target of the large result (default 20; 0 skips it)
                  --clients LIST    concurrent clients of the throughput cells (default 2,4)
                  --duration S      seconds each throughput cell keeps starting requests (default 30)
                  --max-threads T   --max-threads of every node (default: nproc)
                  --timeout S       limit on one request, connection to last byte (default 180)
                  --releases R1,R2  node A builds R1, node B R2 (default: the first two of /lib/modules/*/build)
                  --dist DIR        the built distribution (default modules/dist/target/stapfarm)
                  --work DIR        scratch directory (default: a new one under /tmp)
                  --results DIR     where the report, raw numbers and node logs go (default WORK/results)
                  --results-shown-as PATH  the results directory as the report names it (ops/bench/cluster copies it)
                  --label TEXT      free text printed with the distribution (ops/bench/cluster passes the git commit)
                """;

        int requests = 200;
        int warmup = 20;
        int large = 20;
        List<Integer> clients = List.of(2, 4);
        int duration = 30;
        int maxThreads;
        int timeout = 180;
        List<String> releases;

        static Options parse(String[] args) {
            Options o = new Options();
            boolean read = Bench.parse(args, o, (arg, value) -> {
                switch (arg) {
                    case "--requests" -> o.requests = Bench.count(arg, value, 1);
                    case "--warmup" -> o.warmup = Bench.count(arg, value, 0);
                    case "--large" -> o.large = Bench.count(arg, value, 0);
                    case "--clients" -> o.clients = Bench.counts(arg, value);
                    case "--duration" -> o.duration = Bench.count(arg, value, 1);
                    case "--max-threads" -> o.maxThreads = Bench.count(arg, value, 1);
                    case "--timeout" -> o.timeout = Bench.count(arg, value, 1);
                    case "--releases" -> o.releases = Stream.of(value.split(",")).map(String::trim)
                            .filter(s -> !s.isEmpty()).toList();
                    default -> {
                        return false;
                    }
                }
                return true;
            });
            if (read && o.releases != null && (o.releases.size() != 2 || o.releases.get(0).equals(o.releases.get(1)))) {
                throw new IllegalArgumentException("--releases wants two different releases, R1,R2");
            }
            return read ? o : null;
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Model

    /**
     * One node: `bin/stap-serverd` in the foreground with one compile server, as a child of this JVM. Its
     * SystemTap directory (server certificate, cluster credentials) stays across phases; each phase has its
     * own log.
     */
    final class Node extends Bench.ServerProcess {
        final String name;
        final String phase;
        final List<String> releases;
        final int threads;
        X509Certificate certificate;
        String ending;

        /** {@code cluster}: the NAME=VALUE settings that make it a member, empty for a node alone. */
        Node(String name, String phase, List<String> releases, int threads, Map<String, String> cluster, Path conf) {
            super(name + " (" + String.join("+", releases) + ")", work.resolve("nodes").resolve(name),
                    work.resolve("nodes").resolve(name).resolve(phase + ".log"),
                    work.resolve("nodes").resolve(name).resolve(phase + ".console"), work.resolve("pids"));
            this.name = name;
            this.phase = phase;
            this.releases = List.copyOf(releases);
            this.threads = threads;
            environment.put("SYSTEMTAP_DIR", dir.resolve("systemtap").toString());
            environment.putAll(cluster);
            if (conf != null) {
                environment.put("STAPFARM_CONF", conf.toString());
            }
        }

        void start() throws IOException {
            Files.createDirectories(dir.resolve("systemtap"));
            List<String> command = new ArrayList<>(List.of(dist.resolve("bin/stap-serverd").toString(), "--port", "0",
                    "--max-threads", Integer.toString(threads), "--log", log.toString(),
                    "--ssl", dir.resolve("ssl").toString()));
            releases.forEach(release -> command.addAll(List.of("-r", release)));
            start(command);
            nodes.add(this);
        }

        /** Once the log names the port: when a TLS handshake with the certificate it serves succeeds. */
        void awaitReady() throws Exception {
            awaitReady(START_TIMEOUT_SECONDS, ignored -> {
                certificate = Certificates.decode(Files.readAllBytes(dir.resolve("ssl/stap.cert")));
                try (Socket socket = connect(this, 5_000)) {
                    return true;
                } catch (IOException e) {
                    return false;
                }
            });
        }

        /** SIGTERM, as a service manager stops it; SIGKILL when it has not exited after the grace period. */
        synchronized void stop() {
            if (process == null || ending != null) {
                return;
            }
            try {
                ending = terminate(STOP_GRACE_SECONDS) ? "exit status " + process.exitValue() + " after SIGTERM"
                        : "KILLED: still running " + STOP_GRACE_SECONDS + " s after SIGTERM";
            } catch (InterruptedException e) {
                process.destroyForcibly();
                ending = "killed (interrupted)";
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Where requests for a release go, under a name for the report. */
    record Target(String key, String label, Node node, String release) {
    }

    /**
     * One request and its outcome; {@code problem} is empty when it succeeded. {@code clientPort}, the
     * connection's local port, finds the request in the node's log.
     */
    record Sample(String phase, String target, int clients, int client, int seq, double startMs, double ms,
                  int clientPort, int responseBytes, int stdoutBytes, String problem) {
        boolean ok() {
            return problem.isEmpty();
        }
    }

    record Distribution(int ok, int failed, double p50, double p90, double p99, double mean, double max) {
        static Distribution of(List<Sample> samples) {
            List<Double> ms = samples.stream().filter(Sample::ok).map(Sample::ms).sorted().toList();
            return new Distribution(ms.size(), samples.size() - ms.size(), Bench.quantile(ms, 0.50),
                    Bench.quantile(ms, 0.90), Bench.quantile(ms, 0.99),
                    ms.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN),
                    ms.isEmpty() ? Double.NaN : ms.get(ms.size() - 1));
        }
    }

    /** A throughput cell: `perSecond` over the time until the last request ended, `inWindow` within the duration. */
    record Cell(String config, int clients, Distribution all, Map<String, Double> p50ByRelease, double perSecond,
                double inWindow, Map<String, Double> cpuMsPerRequest, double otherLoadPercent) {
    }

    // ------------------------------------------------------------------------------------------------
    // State

    final Options options;
    final Path dist;
    final Path work;
    final Path results;
    final String releaseA;
    final String releaseB;
    final int nproc;
    final int maxThreads;
    final long clockTicks;
    final String arch;
    final long benchStart = System.nanoTime();
    final List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
    final List<Node> nodes = Collections.synchronizedList(new ArrayList<>());
    final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "request-deadlines");
        thread.setDaemon(true);
        return thread;
    });
    volatile boolean finished;

    ClusterBench(Options options) throws IOException, InterruptedException {
        this.options = options;
        this.dist = options.dist.toAbsolutePath().normalize();
        options.prepare("stapfarm-cluster-bench-");
        this.work = options.work;
        this.results = options.results;
        List<String> releases = options.releases != null ? options.releases : Bench.installedReleases();
        if (releases.size() < 2) {
            throw new IllegalStateException("routing needs two kernel releases with a build tree under /lib/modules, "
                    + "one per node; found " + releases);
        }
        this.releaseA = releases.get(0);
        this.releaseB = releases.get(1);
        this.nproc = Runtime.getRuntime().availableProcessors();
        this.maxThreads = options.maxThreads > 0 ? options.maxThreads : nproc;
        this.clockTicks = Bench.clockTicksPerSecond();
        this.arch = ThisHost.read().sysInfo().arch();
        Bench.recordDriver(work.resolve("pids"));
    }

    // ------------------------------------------------------------------------------------------------
    // The run

    @Override
    public int run() throws Exception {
        Path stapfarmCluster = dist.resolve("bin/stapfarm-cluster");
        if (!Files.isExecutable(dist.resolve("bin/stap-serverd")) || !Files.isExecutable(stapfarmCluster)) {
            throw new IllegalStateException("no distribution with bin/stap-serverd and bin/stapfarm-cluster at " + dist
                    + " (build it: mvn -q -B -o package -DskipTests)");
        }
        String machine = machineReport();
        progress(machine.strip());
        long estimate = 3 * 20 + Math.round((options.requests + options.warmup) * 3 * 0.02 + options.large * 3 * 0.5)
                + 3L * options.clients.size() * (options.duration + 5);
        progress(String.format(Locale.ROOT, "Estimated duration: about %d minutes.", (estimate + 59) / 60));

        Path credentials = work.resolve("cluster-ca");
        Bench.output(List.of(stapfarmCluster.toString(), "create-ca", "--dir", credentials.toString(), "--name",
                "ClusterBench " + work));
        for (String name : List.of("A", "B")) {
            Bench.output(List.of(stapfarmCluster.toString(), "issue", "--ca", credentials.toString(), "--host",
                    "127.0.0.1", "--out", work.resolve("nodes").resolve(name).resolve("credentials").toString()));
        }
        int[] clusterPorts = freePorts(2);
        // As the distribution's own configuration, which STAPFARM_CONF replaces: no DNS-SD.
        Path noCache = Bench.configuration(work.resolve("conf-no-cache"), dist, "stapfarm.discovery.enabled = off",
                "stapfarm.workers.result-cache-size = 0");

        // 1. Routed latency, with the result cache answering.
        Node a = clusterNode("A", "latency", releaseA, clusterPorts, 0, null);
        Node b = clusterNode("B", "latency", releaseB, clusterPorts, 1, null);
        startAll(a, b);
        awaitRoutable(a, releaseB);
        List<Target> targets = List.of(
                new Target("local", "R1 at A (local)", a, releaseA),
                new Target("routed", "R2 at A (routed to B)", a, releaseB),
                new Target("direct", "R2 at B (local on B)", b, releaseB));
        String latencyReport = latency(targets);
        String largeReport = options.large > 0 ? large(targets) : "   skipped (--large 0)\n";
        stopAll(a, b);

        // 2. Throughput, every request compiled: one node with both releases (with the threads of one node,
        // and with those of two, to tell what the second node adds from what its extra threads add), then
        // two nodes with one release each, all requests sent to A.
        List<Cell> cells = new ArrayList<>();
        for (int threads : List.of(maxThreads, 2 * maxThreads)) {
            Node single = new Node("single", "throughput-" + threads, List.of(releaseA, releaseB), threads, Map.of(),
                    noCache);
            startAll(single);
            for (int clients : options.clients) {
                cells.add(throughput((threads == maxThreads ? "(a) " : "(a2) ") + "one node, R1+R2, " + threads
                        + " threads", single, clients, List.of(single)));
            }
            stopAll(single);
        }
        a = clusterNode("A", "throughput", releaseA, clusterPorts, 0, noCache);
        b = clusterNode("B", "throughput", releaseB, clusterPorts, 1, noCache);
        startAll(a, b);
        awaitRoutable(a, releaseB);
        for (int clients : options.clients) {
            cells.add(throughput("(b) A (R1) + B (R2), " + maxThreads + " threads each", a, clients, List.of(a, b)));
        }
        stopAll(a, b);

        String report = machine + "\n" + latencyReport + "\n" + largeReport + "\n" + throughputReport(cells) + "\n"
                + nodeReport();
        writeResults(report, targets, cells);
        finished = true;
        System.out.println();
        System.out.print(report);
        System.out.println("Raw numbers (requests.tsv, summary.tsv), this report and the node logs: "
                + options.shownResults());
        return 0;
    }

    Node clusterNode(String name, String phase, String release, int[] clusterPorts, int index, Path conf) {
        Map<String, String> cluster = Map.of(
                "STAPFARM_CLUSTER_HOST", "127.0.0.1",
                "STAPFARM_CLUSTER_PORT", Integer.toString(clusterPorts[index]),
                "STAPFARM_CLUSTER_SEEDS", "127.0.0.1:" + clusterPorts[0],
                "STAPFARM_CLUSTER_CREDENTIALS", work.resolve("nodes").resolve(name).resolve("credentials").toString());
        return new Node(name, phase, List.of(release), maxThreads, cluster, conf);
    }

    /** In order, so that the seed (the first) starts first; then waits for each. */
    void startAll(Node... started) throws Exception {
        for (Node node : started) {
            node.start();
        }
        for (Node node : started) {
            node.awaitReady();
            progress("node " + node.label + " (" + node.phase + ") serves on port " + node.port + ", pid "
                    + node.process.pid() + ", " + node.threads + " threads");
        }
    }

    /** In reverse order: the seed leaves last. */
    void stopAll(Node... started) {
        for (int i = started.length - 1; i >= 0; i--) {
            started[i].stop();
            progress("node " + started[i].label + " (" + started[i].phase + "): " + started[i].ending);
        }
    }

    void stopNodes() {
        List<Node> started;
        synchronized (nodes) {
            started = new ArrayList<>(nodes);
        }
        Collections.reverse(started);
        for (Node node : started) {
            try {
                node.stop();
            } catch (RuntimeException e) {
                // best effort on the way out
            }
        }
    }

    /**
     * A node learns of the other nodes' servers a few seconds after they start; until then it answers a
     * request for their releases with an error. A -p1 request is not the -p2 of the measurements, so it
     * leaves their first request to the translator.
     */
    void awaitRoutable(Node entry, String release) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
        byte[] request = request(release, "-p1", SMALL_SCRIPT);
        for (int attempt = 0; ; attempt++) {
            Sample check = exchange(entry, request, SMALL_EXPECTED, "routable", release, 1, 0, attempt);
            if (check.ok()) {
                progress("node " + entry.label + " routes " + release + " (attempt " + (attempt + 1) + ")");
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("node " + entry.label + " did not route " + release + " within "
                        + START_TIMEOUT_SECONDS + " s: " + check.problem);
            }
            Thread.sleep(500);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Measurements

    /** Identical requests, one at a time, targets interleaved; the first of each (a real compile) is apart. */
    String latency(List<Target> targets) throws Exception {
        Map<String, Sample> first = new LinkedHashMap<>();
        for (Target target : targets) {
            Sample sample = exchange(target, "-p2", SMALL_SCRIPT, SMALL_EXPECTED, "first", 0);
            if (!sample.ok()) {
                throw new IllegalStateException(target.label + " does not work: " + sample.problem + "\nlog of node "
                        + target.node.label + ":\n" + Bench.tail(target.node.log, 20));
            }
            first.put(target.key, sample);
        }
        progress("Latency: " + options.warmup + " warm-up and " + options.requests + " measured rounds over "
                + targets.size() + " targets, one request at a time");
        rounds(targets, "-p2", SMALL_SCRIPT, SMALL_EXPECTED, "warmup", options.warmup);
        double[] load = new double[1];
        Map<String, Distribution> measured = measuredRounds(targets, "-p2", SMALL_SCRIPT, SMALL_EXPECTED, "latency",
                options.requests, load);

        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "1. Routed latency: -p2 '%s', identical requests answered from the result "
                + "cache,%n   one at a time, %d per target after %d warm-up, targets interleaved (other load on the "
                + "machine: %.0f%%)%n%n", SMALL_SCRIPT, options.requests, options.warmup, load[0]));
        b.append(distributionTable(targets, measured, "latency"));
        b.append("\n   first request of each (excluded above; the translator ran for R1 at A and R2 at A, whose"
                + " result\n   R2 at B then found in B's cache): ");
        b.append(first.entrySet().stream()
                .map(e -> String.format(Locale.ROOT, "%s %.0f ms", e.getKey(), e.getValue().ms))
                .collect(Collectors.joining(", "))).append('\n');
        b.append(differences(measured, 20.0));
        return b.toString();
    }

    /** The large result: the same as {@link #latency}, for a request whose result is several MB. */
    String large(List<Target> targets) throws Exception {
        progress("Large result: -p3 of every tracepoint, " + options.large + " rounds");
        for (Target target : targets) {
            Sample sample = exchange(target, "-p3", LARGE_SCRIPT, LARGE_EXPECTED, "large-first", 0);
            if (!sample.ok()) {
                return "   Large result: skipped, since " + target.label + " failed: " + sample.problem + "\n";
            }
        }
        rounds(targets, "-p3", LARGE_SCRIPT, LARGE_EXPECTED, "large-warmup", Math.min(3, options.large));
        double[] load = new double[1];
        Map<String, Distribution> measured = measuredRounds(targets, "-p3", LARGE_SCRIPT, LARGE_EXPECTED, "large",
                options.large, load);
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "   Large result: -p3 '%s',%n   %d per target, cached like the above "
                + "(other load: %.0f%%)%n", LARGE_SCRIPT, options.large, load[0]));
        for (Target target : targets) {
            Sample last = select("large", target.key).stream().filter(Sample::ok).reduce((x, y) -> y).orElse(null);
            if (last != null) {
                b.append(String.format(Locale.ROOT, "     %-24s result: %.1f MB of C on stdout, %.2f MB zipped on the "
                        + "wire%n", target.label, last.stdoutBytes / 1e6, last.responseBytes / 1e6));
            }
        }
        b.append('\n').append(distributionTable(targets, measured, "large")).append('\n');
        b.append(differences(measured, Double.NaN));
        return b.toString();
    }

    void rounds(List<Target> targets, String pass, String script, String expected, String phase, int count)
            throws Exception {
        for (int round = 0; round < count; round++) {
            for (int k = 0; k < targets.size(); k++) {
                exchange(targets.get((round + k) % targets.size()), pass, script, expected, phase, round);
            }
        }
    }

    /** {@link #rounds}, then each target's distribution; {@code load[0]}: other load meanwhile, in percent. */
    Map<String, Distribution> measuredRounds(List<Target> targets, String pass, String script, String expected,
                                             String phase, int count, double[] load) throws Exception {
        CpuSample before = sampleCpu(List.of(targets.get(0).node, targets.get(targets.size() - 1).node));
        rounds(targets, pass, script, expected, phase, count);
        CpuSample after = sampleCpu(List.of(targets.get(0).node, targets.get(targets.size() - 1).node));
        load[0] = otherLoadPercent(before, after);
        Map<String, Distribution> measured = new LinkedHashMap<>();
        for (Target target : targets) {
            measured.put(target.key, Distribution.of(select(phase, target.key)));
        }
        return measured;
    }

    /** Each target's distribution, and the receiving node's own time for the same requests. */
    String distributionTable(List<Target> targets, Map<String, Distribution> measured, String phase)
            throws IOException {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "   %-24s %5s %4s %8s %8s %8s %8s %8s   %s%n",
                "target", "ok", "fail", "p50 ms", "p90 ms", "p99 ms", "mean ms", "max ms", "node's own p50/p90 ms"));
        for (Target target : targets) {
            Distribution d = measured.get(target.key);
            Map<Integer, Double> answered = answeredByClientPort(target.node.log);
            List<Double> own = select(phase, target.key).stream().filter(Sample::ok)
                    .map(sample -> answered.get(sample.clientPort)).filter(ms -> ms != null).sorted().toList();
            b.append(String.format(Locale.ROOT, "   %-24s %5d %4d %8.2f %8.2f %8.2f %8.2f %8.2f   %5.0f / %-5.0f%n",
                    target.label, d.ok, d.failed, d.p50, d.p90, d.p99, d.mean, d.max, Bench.quantile(own, 0.5),
                    Bench.quantile(own, 0.9)));
        }
        return b.toString();
    }

    static final Pattern ANSWERED = Pattern.compile("Request from /[^ ]*:(\\d+) answered: rc -?\\d+ in (\\d+) ms");

    /**
     * The "answered ... in N ms" of a node's log (from the decoded request to the result, routing and
     * compiling or the cache included; TLS and the response's encoding not), by the client's port.
     */
    static Map<Integer, Double> answeredByClientPort(Path log) throws IOException {
        Map<Integer, Double> answered = new TreeMap<>();
        for (String line : Files.exists(log) ? Files.readAllLines(log) : List.<String>of()) {
            Matcher m = ANSWERED.matcher(line);
            if (m.find()) {
                answered.put(Integer.parseInt(m.group(1)), Double.parseDouble(m.group(2)));
            }
        }
        return answered;
    }

    /** Routed minus local, per quantile; against the target when there is one (NaN: none). */
    static String differences(Map<String, Distribution> measured, double targetMs) {
        Distribution local = measured.get("local");
        Distribution routed = measured.get("routed");
        Distribution direct = measured.get("direct");
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "   routing adds, over R1 at A (local):      p50 %+7.2f ms, p90 %+7.2f ms, "
                + "p99 %+7.2f ms%n", routed.p50 - local.p50, routed.p90 - local.p90, routed.p99 - local.p99));
        b.append(String.format(Locale.ROOT, "            over R2 at B (same release, asked directly): p50 %+7.2f ms, "
                + "p90 %+7.2f ms, p99 %+7.2f ms%n", routed.p50 - direct.p50, routed.p90 - direct.p90,
                routed.p99 - direct.p99));
        if (!Double.isNaN(targetMs)) {
            double extra = routed.p50 - local.p50;
            b.append(String.format(Locale.ROOT, "   target: under %.0f ms extra at the median on loopback: %s%n",
                    targetMs, extra < targetMs ? "meets" : "MISSES"));
        }
        return b.toString();
    }

    /**
     * `clients` threads each send requests to `entry` until the duration is up, alternating between the two
     * releases (client k starts with release k mod 2), so that half the requests are for each.
     */
    Cell throughput(String config, Node entry, int clients, List<Node> measuredNodes) throws Exception {
        String key = config.substring(config.indexOf('(') + 1, config.indexOf(')')) + "-" + entry.threads + "t";
        List<String> releases = List.of(releaseA, releaseB);
        for (String release : releases) {
            Sample warm = exchange(entry, request(release, "-p2", SMALL_SCRIPT), SMALL_EXPECTED, "throughput-warmup",
                    key + ":" + tag(release), clients, 0, 0);
            if (!warm.ok()) {
                throw new IllegalStateException(config + " does not work for " + release + ": " + warm.problem);
            }
        }
        Thread.sleep(500);
        CountDownLatch go = new CountDownLatch(1);
        long[] window = new long[2];
        List<Thread> threads = new ArrayList<>();
        List<Exception> errors = Collections.synchronizedList(new ArrayList<>());
        for (int k = 0; k < clients; k++) {
            int client = k;
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                    for (int seq = 0; System.nanoTime() < window[1]; seq++) {
                        String release = releases.get((client + seq) % 2);
                        exchange(entry, request(release, "-p2", SMALL_SCRIPT), SMALL_EXPECTED, "throughput",
                                key + ":" + tag(release), clients, client, seq);
                    }
                } catch (Exception e) {
                    errors.add(e);
                }
            }, "client-" + k);
            thread.start();
            threads.add(thread);
        }
        CpuSample before = sampleCpu(measuredNodes);
        window[0] = System.nanoTime();
        window[1] = window[0] + TimeUnit.SECONDS.toNanos(options.duration);
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        CpuSample after = sampleCpu(measuredNodes);
        if (!errors.isEmpty()) {
            throw errors.get(0);
        }
        List<Sample> cell = new ArrayList<>();
        for (String release : releases) {
            cell.addAll(select("throughput", key + ":" + tag(release), clients));
        }
        double windowEndMs = (window[1] - benchStart) / 1e6;
        long ok = cell.stream().filter(Sample::ok).count();
        long inWindow = cell.stream().filter(s -> s.ok() && s.startMs + s.ms <= windowEndMs).count();
        Map<String, Double> p50ByRelease = new LinkedHashMap<>();
        for (String release : releases) {
            List<Sample> ofRelease = select("throughput", key + ":" + tag(release), clients);
            p50ByRelease.put(tag(release), Distribution.of(ofRelease).p50);
        }
        Map<String, Double> cpu = new LinkedHashMap<>();
        for (Node node : measuredNodes) {
            long ticks = after.perNode.get(node.name) - before.perNode.get(node.name);
            cpu.put(node.name, cell.isEmpty() ? Double.NaN : ticks * 1000.0 / clockTicks / cell.size());
        }
        Cell result = new Cell(config, clients, Distribution.of(cell), p50ByRelease,
                ok / ((after.nanos - window[0]) / 1e9), inWindow / (double) options.duration, cpu,
                otherLoadPercent(before, after));
        progress(String.format(Locale.ROOT, "Throughput: %-40s %d clients: %.2f req/s, %d ok, %d failed", config,
                clients, result.perSecond, result.all.ok, result.all.failed));
        return result;
    }

    String tag(String release) {
        return release.equals(releaseA) ? "R1" : "R2";
    }

    String throughputReport(List<Cell> cells) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "2. Throughput: -p2 '%s' with the result cache off, so every request runs "
                + "the\n   translator; C clients for %d s each, alternating R1 and R2, all sent to one node%n"
                + "   (req/s: successful requests over the time until the last one ended; in win: those that ended "
                + "within\n   the %d s, per second; p50 R1/R2: median latency per release; CPU ms/req: CPU of each "
                + "node's\n   process and its translators per request of the cell; other: CPU share of processes "
                + "outside this benchmark)%n%n", SMALL_SCRIPT, options.duration, options.duration));
        b.append(String.format(Locale.ROOT, "   %-40s %3s %5s %4s %7s %7s %8s %8s %8s %8s  %-22s %6s%n", "config", "C",
                "ok", "fail", "req/s", "in win", "p50 ms", "p90 ms", "p50 R1", "p50 R2", "CPU ms/req", "other"));
        double maxOther = 0;
        for (int clients : options.clients) {
            for (Cell cell : cells) {
                if (cell.clients != clients) {
                    continue;
                }
                String cpu = cell.cpuMsPerRequest.entrySet().stream()
                        .map(e -> String.format(Locale.ROOT, "%s %.0f", e.getKey(), e.getValue()))
                        .collect(Collectors.joining(", "));
                b.append(String.format(Locale.ROOT,
                        "   %-40s %3d %5d %4d %7.2f %7.2f %8.1f %8.1f %8.1f %8.1f  %-22s %5.0f%%%s%n", cell.config,
                        cell.clients, cell.all.ok, cell.all.failed, cell.perSecond, cell.inWindow,
                        cell.all.p50, cell.all.p90, cell.p50ByRelease.get("R1"), cell.p50ByRelease.get("R2"), cpu,
                        cell.otherLoadPercent, cell.otherLoadPercent > OTHER_LOAD_WARNING ? " !" : ""));
                maxOther = Math.max(maxOther, cell.otherLoadPercent);
            }
            b.append('\n');
        }
        b.append(String.format(Locale.ROOT, "   All nodes run on this machine's %d CPUs: two nodes add translator "
                + "threads and a second JVM,\n   not CPUs. (a2) has as many translator threads as (b) in one node, "
                + "so (b) "
                + "against (a2) is what\n   the second node itself costs or gains; on separate hosts (b) would have "
                + "twice the CPUs.%n", nproc));
        if (maxOther > OTHER_LOAD_WARNING) {
            b.append(String.format(Locale.ROOT, "   WARNING: processes outside this benchmark used up to %.0f%% of the "
                    + "machine's CPUs during the cells\n   marked !; those numbers are lower and noisier than on an "
                    + "idle machine.%n", maxOther));
        }
        return b.toString();
    }

    String nodeReport() throws IOException {
        StringBuilder b = new StringBuilder("3. Nodes: requests their servers received from the client (a routed"
                + " request is in the log\n   of the node that received it), how each stopped, log lines that speak of"
                + " trouble\n");
        List<Node> started;
        synchronized (nodes) {
            started = new ArrayList<>(nodes);
        }
        for (Node node : started) {
            List<String> lines = Files.exists(node.log) ? Files.readAllLines(node.log) : List.of();
            long requests = lines.stream().filter(line -> line.contains(" answered: rc ")).count();
            b.append(String.format(Locale.ROOT, "   %s, %s: %d requests received; %s%n", node.label, node.phase,
                    requests, node.ending));
            lines.stream().filter(line -> TROUBLE.matcher(line).find()).limit(5)
                    .forEach(line -> b.append("       ").append(line).append('\n'));
        }
        return b.toString();
    }

    static final Pattern TROUBLE = Pattern.compile("(?i)error|exception|timed out|unreachable|refus|failed|warn");

    // ------------------------------------------------------------------------------------------------
    // The client

    final Map<String, byte[]> encodedRequests = new java.util.concurrent.ConcurrentHashMap<>();

    /** The request zip the stock client sends for `stap -r RELEASE PASS -e SCRIPT`. */
    byte[] request(String release, String pass, String script) {
        return encodedRequests.computeIfAbsent(release + " " + pass + " " + script, ignored -> {
            ClientArguments arguments = ClientArguments.parse(List.of("-r", release, pass, "-e", script));
            return RequestCodec.encode(new CompileRequest(CLIENT_VERSION, new SysInfo(release, arch),
                    arguments.requestArguments(UnaryOperator.identity(), UnaryOperator.identity()),
                    ClientLocale.fromEnvironment(System.getenv()), List.of(), List.of(), List.of()));
        });
    }

    Sample exchange(Target target, String pass, String script, String expected, String phase, int seq)
            throws IOException {
        return exchange(target.node, request(target.release, pass, script), expected, phase, target.key, 1, 0, seq);
    }

    /**
     * One exchange as the stock client has it: a new TCP connection and TLS handshake, the length and the
     * request zip, the response read to the end of the stream; timed from connecting to the last byte. The
     * TLS context is made beforehand, as a client process does before it connects.
     */
    Sample exchange(Node node, byte[] request, String expected, String phase, String target, int clients, int client,
                    int seq) throws IOException {
        ServerCertificateTrust trust = new ServerCertificateTrust(List.of(node.certificate), List.of(),
                Clock.systemUTC());
        SSLContext context = trust.sslContext();
        long start = System.nanoTime();
        byte[] response = null;
        String problem = "";
        int clientPort = 0;
        try (Socket socket = connect(node, trust, context)) {
            clientPort = socket.getLocalPort();
            ScheduledFuture<?> deadline = watchdog.schedule(() -> closeQuietly(socket), options.timeout,
                    TimeUnit.SECONDS);
            try {
                DataOutputStream out = new DataOutputStream(socket.getOutputStream());
                out.write(java.nio.ByteBuffer.allocate(4).putInt(request.length).array());
                out.write(request);
                out.flush();
                response = socket.getInputStream().readAllBytes();
            } finally {
                deadline.cancel(false);
            }
        } catch (IOException e) {
            problem = "connection: " + e.getMessage();
        }
        long end = System.nanoTime();
        int stdoutBytes = 0;
        if (response != null) {
            try {
                CompileResult result = new ResponseCodec().decode(response).result();
                stdoutBytes = result.stdout().length;
                if (result.rc() != 0) {
                    problem = "rc " + result.rc() + ": " + firstProblem(result.stderr());
                } else if (!new String(result.stdout(), StandardCharsets.UTF_8).contains(expected)) {
                    problem = "rc 0, but stdout lacks '" + expected + "'";
                }
            } catch (Exception e) {
                problem = "unusable response of " + response.length + " bytes: " + e.getMessage();
            }
        }
        Sample sample = new Sample(phase, target, clients, client, seq, (start - benchStart) / 1e6, (end - start) / 1e6,
                clientPort, response == null ? 0 : response.length, stdoutBytes, problem);
        samples.add(sample);
        return sample;
    }

    Socket connect(Node node, int timeoutMillis) throws IOException {
        ServerCertificateTrust trust = new ServerCertificateTrust(List.of(node.certificate), List.of(),
                Clock.systemUTC());
        return connect(node, trust, trust.sslContext(), timeoutMillis);
    }

    Socket connect(Node node, ServerCertificateTrust trust, SSLContext context) throws IOException {
        return connect(node, trust, context, (int) TimeUnit.SECONDS.toMillis(options.timeout));
    }

    static Socket connect(Node node, ServerCertificateTrust trust, SSLContext context, int timeoutMillis)
            throws IOException {
        Socket plain = new Socket();
        try {
            // Sends the length and the zip at once: what is measured is the server, not Nagle's algorithm.
            plain.setTcpNoDelay(true);
            plain.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), node.port), timeoutMillis);
            SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, "127.0.0.1", node.port, true);
            socket.setSSLParameters(trust.clientSslParameters(context));
            socket.setSoTimeout(timeoutMillis);
            socket.startHandshake();
            return socket;
        } catch (IOException e) {
            plain.close();
            throw e;
        }
    }

    static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // the request is over either way
        }
    }

    /** The first line of the translator's stderr that is not the warning every request here gets. */
    static String firstProblem(byte[] stderr) {
        return new String(stderr, StandardCharsets.UTF_8).lines().map(String::strip)
                .filter(line -> !line.isEmpty() && !line.startsWith("WARNING: Kernel function symbol table missing"))
                .findFirst().orElse("(nothing on stderr)");
    }

    List<Sample> select(String phase, String target) {
        return select(phase, target, -1);
    }

    /** `clients` -1: any. */
    List<Sample> select(String phase, String target, int clients) {
        synchronized (samples) {
            return samples.stream().filter(s -> s.phase.equals(phase) && s.target.equals(target)
                    && (clients < 0 || s.clients == clients)).toList();
        }
    }

    // ------------------------------------------------------------------------------------------------
    // CPU accounting

    /** Clock ticks: the machine's busy time, this driver's own, and each node's (with its reaped translators). */
    record CpuSample(long nanos, long machineBusy, long driver, Map<String, Long> perNode) {
        long ours() {
            return driver + perNode.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    CpuSample sampleCpu(List<Node> measured) {
        Map<String, Long> perNode = new TreeMap<>();
        for (Node node : measured) {
            perNode.put(node.name, node.cpuTicks());
        }
        return new CpuSample(System.nanoTime(), Bench.machineBusyTicks(),
                Bench.processTicks(ProcessHandle.current().pid()), perNode);
    }

    double otherLoadPercent(CpuSample before, CpuSample after) {
        return Bench.otherLoadPercent(after.machineBusy - before.machineBusy, after.ours() - before.ours(),
                after.nanos - before.nanos, clockTicks, nproc);
    }

    // ------------------------------------------------------------------------------------------------
    // Set-up, results, helpers

    /** Ports free now on the loopback interface, for the nodes' cluster addresses. */
    static int[] freePorts(int count) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                sockets.add(socket);
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket socket : sockets) {
                socket.close();
            }
        }
    }

    String machineReport() throws IOException, InterruptedException {
        String memory = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                .map(l -> String.format(Locale.ROOT, "%.1f GiB", Long.parseLong(l.replaceAll("\\D", "")) / 1048576.0))
                .findFirst().orElse("unknown");
        String kernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        StringBuilder b = new StringBuilder();
        b.append("stapfarm cluster benchmark, ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append('\n');
        b.append(String.format(Locale.ROOT,
                "  machine  : nproc %d; %s; memory %s; kernel %s; load average at start %s%n",
                nproc, Bench.cpuModel(), memory, kernel, Bench.loadAverage()));
        b.append("  java     : ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.runtime.version")).append('\n');
        b.append("  stap     : ").append(Bench.stapVersion()).append('\n');
        b.append("  stapfarm : ").append(options.distribution()).append('\n');
        b.append("  releases : R1 = ").append(releaseA).append(" (node A), R2 = ").append(releaseB)
                .append(" (node B); installed: ").append(String.join(" ", Bench.installedReleases())).append('\n');
        b.append(String.format(Locale.ROOT, "  nodes    : bin/stap-serverd as %s, one JVM each, --max-threads %d; A "
                + "and B one cluster over Artery TLS%n             on 127.0.0.1, B joining through A; all on this "
                + "machine%n",
                System.getProperty("user.name"), maxThreads));
        b.append("  client   : this JVM, JSSE trusting the node's certificate: per request a new TCP connection"
                + " (TCP_NODELAY)\n             and TLS handshake, the stock 4.8 client's request zip, the response"
                + " read to the end\n             and decoded (rc 0 and the expected output, else a failure)\n");
        b.append(String.format(Locale.ROOT, "  settings : --requests %d --warmup %d --large %d --clients %s "
                        + "--duration %d --timeout %d%n", options.requests, options.warmup, options.large,
                options.clients.stream().map(String::valueOf).collect(Collectors.joining(",")), options.duration,
                options.timeout));
        return b.toString();
    }

    void writeResults(String report, List<Target> targets, List<Cell> cells) throws IOException {
        writeRawResults();
        StringBuilder summary = new StringBuilder("phase\ttarget\tclients\tok\tfailed\tp50_ms\tp90_ms\tp99_ms\tmean_ms"
                + "\tmax_ms\treq_per_s\treq_per_s_in_window\tother_load_pct\n");
        for (String phase : List.of("latency", "large")) {
            for (Target target : targets) {
                List<Sample> selected = select(phase, target.key);
                if (!selected.isEmpty()) {
                    summary.append(summaryLine(phase, target.key, 1, Distribution.of(selected), Double.NaN, Double.NaN,
                            Double.NaN));
                }
            }
        }
        for (Cell cell : cells) {
            summary.append(summaryLine("throughput", cell.config, cell.clients, cell.all, cell.perSecond, cell.inWindow,
                    cell.otherLoadPercent));
        }
        Files.writeString(results.resolve("summary.tsv"), summary, StandardCharsets.UTF_8);
        Files.writeString(results.resolve("report.txt"), report, StandardCharsets.UTF_8);
    }

    static String summaryLine(String phase, String target, int clients, Distribution d, double perSecond,
                              double inWindow, double otherLoad) {
        return Stream.of(phase, target, Integer.toString(clients), Integer.toString(d.ok), Integer.toString(d.failed),
                number(d.p50), number(d.p90), number(d.p99), number(d.mean), number(d.max), number(perSecond),
                number(inWindow), number(otherLoad)).collect(Collectors.joining("\t")) + "\n";
    }

    static String number(double value) {
        return Double.isNaN(value) ? "" : String.format(Locale.ROOT, "%.3f", value);
    }

    /** requests.tsv and the node logs: all there is when the run was interrupted. */
    void writeRawResults() throws IOException {
        StringBuilder raw = new StringBuilder("phase\ttarget\tclients\tclient\tseq\tstart_ms\tlatency_ms\tok"
                + "\tclient_port\tresponse_bytes\tstdout_bytes\tproblem\n");
        synchronized (samples) {
            for (Sample s : samples) {
                raw.append(String.join("\t", s.phase, s.target, Integer.toString(s.clients), Integer.toString(s.client),
                        Integer.toString(s.seq), String.format(Locale.ROOT, "%.1f", s.startMs),
                        String.format(Locale.ROOT, "%.3f", s.ms), s.ok() ? "1" : "0", Integer.toString(s.clientPort),
                        Integer.toString(s.responseBytes),
                        Integer.toString(s.stdoutBytes), s.problem.replace('\t', ' ').replace('\n', ' '))).append('\n');
            }
        }
        Files.writeString(results.resolve("requests.tsv"), raw, StandardCharsets.UTF_8);
        Path logs = results.resolve("node-logs");
        Files.createDirectories(logs);
        List<Node> started;
        synchronized (nodes) {
            started = new ArrayList<>(nodes);
        }
        for (Node node : started) {
            for (Path file : List.of(node.log, node.console)) {
                if (Files.isRegularFile(file)) {
                    Files.copy(file, logs.resolve(node.name + "-" + file.getFileName()),
                            StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** Shutdown hook: stops the nodes; after an interruption also keeps the raw numbers measured so far. */
    @Override
    public void onExit() {
        stopNodes();
        if (!finished) {
            try {
                writeRawResults();
                progress("interrupted: the requests so far are in requests.tsv, the node logs in node-logs/");
            } catch (IOException | RuntimeException e) {
                // nothing more to save
            }
        }
    }

    static void progress(String message) {
        Bench.progress("[cluster-bench] ", message);
    }
}
