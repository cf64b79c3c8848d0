// CompileBench: latency and throughput of a tiny `stap -p3` request with Debian's stock client, side by side:
// local (no server), the reference stap-serverd, and stapfarm (result cache on, cache off, distinct scripts).
//
// A single-file Java 17 program whose only dependency is Bench.java here, compiled onto its class path:
//   java -cp BENCH-CLASSES ops/bench/CompileBench.java [options]
// Run it as an unprivileged user (both servers refuse root); ops/bench/run does that for an operator.
// See ops/bench/README.md for what is measured and how to read the report.

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

public class CompileBench implements Bench.Driver {

    static final String HELLO = "probe begin { printf(\"Hello World!\\n\"); exit() }";
    static final String HELLO_EXPECTED = "Hello World!";
    /** The client prints this on every run here (no kallsyms for the target release); it is not an error. */
    static final Pattern BENIGN_STDERR = Pattern.compile("^WARNING: Kernel function symbol table missing.*");
    static final Pattern LOG_TIMESTAMP = Pattern.compile("^[A-Z][a-z]{2} [A-Z][a-z]{2} +\\d+ \\d\\d:\\d\\d:\\d\\d \\d{4}: ");

    static final Pattern ANSWERED = Pattern.compile("answered: rc -?\\d+ in (\\d+) ms");
    /** Cells where processes outside the benchmark used more of the machine than this are flagged. */
    static final double OTHER_LOAD_WARNING = 10.0;

    public static void main(String[] args) {
        Bench.launch("CompileBench", Options.USAGE, "ops/bench/run", args, Options::parse, CompileBench::new);
    }

    // ------------------------------------------------------------------------------------------------
    // Options

    static final class Options extends Bench.Locations {
        static final String USAGE = """
                usage: java -cp BENCH-CLASSES CompileBench.java [options]   (unprivileged; as root: ops/bench/run)
                  --runs N          latency samples per target, one request at a time (default 30)
                  --warmup N        unrecorded warm-up runs per target before the latency samples (default 5)
                  --clients LIST    concurrency levels of the throughput phase (default 1,4,16)
                  --duration S      seconds each client keeps starting runs per throughput cell (default 20)
                  --max-threads N   --max-threads of both servers (default: nproc)
                  --timeout S       limit on one client run; a run over it is killed and counted failed (default 120)
                  --release R       kernel release for -r (default: first of /lib/modules/*/build, sorted)
                  --dist DIR        the built stapfarm distribution (default modules/dist/target/stapfarm)
                  --reference PATH  the reference server (default /usr/lib/systemtap/stap-serverd)
                  --work DIR        scratch directory (default: a new one under /tmp)
                  --results DIR     where the report, raw numbers and server logs go (default WORK/results)
                  --results-shown-as PATH  the results directory as the report names it (ops/bench/run copies it)
                  --label TEXT      free text printed with the stapfarm build (ops/bench/run passes the git commit)
                """;

        int runs = 30;
        int warmup = 5;
        List<Integer> clients = List.of(1, 4, 16);
        int duration = 20;
        int maxThreads = 0;
        int timeout = 120;
        String release;
        Path reference = Path.of("/usr/lib/systemtap/stap-serverd");

        static Options parse(String[] args) {
            Options o = new Options();
            boolean read = Bench.parse(args, o, (arg, value) -> {
                switch (arg) {
                    case "--runs" -> o.runs = Bench.count(arg, value, 1);
                    case "--warmup" -> o.warmup = Bench.count(arg, value, 0);
                    case "--clients" -> o.clients = Bench.counts(arg, value);
                    case "--duration" -> o.duration = Bench.count(arg, value, 1);
                    case "--max-threads" -> o.maxThreads = Bench.count(arg, value, 1);
                    case "--timeout" -> o.timeout = Bench.count(arg, value, 1);
                    case "--release" -> o.release = value;
                    case "--reference" -> o.reference = Path.of(value);
                    default -> {
                        return false;
                    }
                }
                return true;
            });
            return read ? o : null;
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Model

    /** One server process of the benchmark, started directly as the current (unprivileged) user. */
    final class Server extends Bench.ServerProcess {
        final String key;
        final List<String> command;
        Integer exitStatus;
        /** Set when the server was found dead while the benchmark still needed it. */
        String diedDuring;

        Server(String key, String label, Path executable, Map<String, String> extraEnvironment) {
            super(label, work.resolve("servers").resolve(key), work.resolve("servers").resolve(key).resolve("log"),
                    work.resolve("servers").resolve(key).resolve("console"), work.resolve("pids"));
            this.key = key;
            this.command = List.of(executable.toString(), "--port", "0", "-r", release,
                    "--ssl", dir.resolve("ssl").toString(), "--log", log.toString(),
                    "--max-threads", Integer.toString(maxThreads));
            // Keeps the server's own ~/.systemtap use (the reference authorises itself for local clients)
            // out of the user's home.
            this.environment.put("SYSTEMTAP_DIR", dir.resolve("systemtap").toString());
            this.environment.putAll(extraEnvironment);
        }

        void start() throws IOException {
            Files.createDirectories(dir.resolve("systemtap"));
            start(command);
        }

        /** Waits for the log to name the port, then for a listening socket on it (read from /proc/net). */
        void awaitListening(long timeoutSeconds) throws Exception {
            awaitReady(timeoutSeconds, server -> listening(server.port));
        }

        String address() {
            return "127.0.0.1:" + port;
        }

        synchronized void stop() {
            if (process == null || exitStatus != null) {
                return;
            }
            try {
                terminate(75);
                exitStatus = process.isAlive() ? null : process.exitValue();
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** What a client run talks to, and which script it sends. */
    record Target(String key, String label, Server server, boolean distinct) {
    }

    /** A client: its own SYSTEMTAP_DIR (trust database copied from the template) and output files. */
    record Slot(int index, Path dir, Path systemtap, Path stdout, Path stderr) {
    }

    record Run(String phase, String target, int clients, int slot, int seq, double startMs, double latencyMs,
               int exit, boolean ok, String reason) {
    }

    /** CPU use sampled around a measurement. */
    record CpuSample(long nanos, long systemBusy, long ours, long servers, Map<String, Long> perServer,
                     long listenDrops) {
    }

    /**
     * `seconds`: from the start of the measurement until its last run ended; `windowPerSecond`: successful
     * runs that ended within the fixed duration, per second of it (NaN outside the throughput phase).
     */
    record Stats(int ok, int failed, double p50, double p90, double mean, double max, double seconds,
                 double serverCpuMsPerRun, double clientCpuMsPerRun, double otherLoadPercent, long listenDrops,
                 double windowPerSecond) {
        double perSecond() {
            return seconds > 0 ? ok / seconds : Double.NaN;
        }

        Stats withWindowPerSecond(double value) {
            return new Stats(ok, failed, p50, p90, mean, max, seconds, serverCpuMsPerRun, clientCpuMsPerRun,
                    otherLoadPercent, listenDrops, value);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // State

    final Options options;
    final Path work;
    final Path results;
    final String release;
    final int nproc;
    final int maxThreads;
    final long clockTicks;
    final String runId = Long.toHexString(System.nanoTime() & 0xffffffffL);
    final AtomicLong distinctCounter = new AtomicLong();
    final long benchStart = System.nanoTime();
    final List<Run> runs = Collections.synchronizedList(new ArrayList<>());
    final List<Server> servers = new ArrayList<>();
    final Map<String, Integer> savedFailures = new TreeMap<>();
    final List<Slot> slots = new ArrayList<>();
    Path trustTemplate;
    volatile boolean finished;

    CompileBench(Options options) throws IOException, InterruptedException {
        this.options = options;
        options.prepare("stapfarm-bench-");
        this.work = options.work;
        this.results = options.results;
        this.release = options.release != null ? options.release : firstRelease();
        this.nproc = Integer.parseInt(Bench.output(List.of("nproc")).strip());
        this.maxThreads = options.maxThreads > 0 ? options.maxThreads : nproc;
        this.clockTicks = Bench.clockTicksPerSecond();
        Bench.recordDriver(work.resolve("pids"));
    }

    // ------------------------------------------------------------------------------------------------
    // The run

    @Override
    public int run() throws Exception {
        Path dist = options.dist.toAbsolutePath().normalize();
        if (!Files.isExecutable(dist.resolve("bin/stap-serverd"))) {
            throw new IllegalStateException("no stapfarm distribution at " + dist
                    + " (build it: mvn -q -B -o install -DskipTests)");
        }
        if (!Files.isExecutable(options.reference)) {
            throw new IllegalStateException("no reference server at " + options.reference
                    + " (install the systemtap-server package)");
        }
        String machine = machineReport();
        progress(machine.strip());
        int levels = options.clients.size();
        double estimate = 20 + (options.warmup + options.runs) * 5 * 0.35
                + levels * 5 * (options.duration + 4);
        progress(String.format(Locale.ROOT, "Estimated duration: about %.0f minutes.", Math.ceil(estimate / 60)));

        // Servers, side by side on loopback ports chosen by the kernel.
        Path noCacheConf = Bench.configuration(work.resolve("conf-no-cache"), dist,
                "stapfarm.workers.result-cache-size = 0");
        Server reference = new Server("reference", "reference stap-serverd", options.reference, Map.of());
        Server stapfarm = new Server("stapfarm", "stapfarm (cache on)", dist.resolve("bin/stap-serverd"), Map.of());
        Server stapfarmNoCache = new Server("stapfarm-nocache", "stapfarm (cache off)",
                dist.resolve("bin/stap-serverd"), Map.of("STAPFARM_CONF", noCacheConf.toString()));
        servers.addAll(List.of(reference, stapfarm, stapfarmNoCache));
        for (Server server : servers) {
            server.start();
        }
        for (Server server : servers) {
            server.awaitListening(120);
            progress(server.label + " listens on " + server.address() + " (pid " + server.process.pid() + ")");
        }

        Target local = new Target("local", "local stap -p3 (no server)", null, false);
        Target ref = new Target("reference", "reference stap-serverd", reference, false);
        Target sfHit = new Target("stapfarm-cache", "stapfarm, cache on (same script)", stapfarm, false);
        Target sfCold = new Target("stapfarm-nocache", "stapfarm, cache off (same script)", stapfarmNoCache, false);
        Target sfDistinct = new Target("stapfarm-distinct", "stapfarm, cache on, distinct scripts", stapfarm, true);
        List<Target> targets = List.of(local, ref, sfHit, sfCold, sfDistinct);

        // Client directories; each trusts all three servers (copies of one trust database).
        trustTemplate = work.resolve("clients/template/systemtap");
        Files.createDirectories(trustTemplate);
        Slot templateSlot = newSlot(-1, work.resolve("clients/template"));
        for (Server server : servers) {
            trust(templateSlot, server);
        }
        int slotCount = Collections.max(options.clients);
        for (int i = 0; i < slotCount; i++) {
            Path dir = work.resolve(String.format(Locale.ROOT, "clients/%02d", i));
            copyTree(trustTemplate, dir.resolve("systemtap"));
            slots.add(newSlot(i, dir));
        }
        // Every target must work before anything is measured.
        for (Target target : targets) {
            Run check = null;
            for (int attempt = 1; attempt <= 10; attempt++) {
                check = runOnce(target, slots.get(0), "check", 1, attempt);
                if (check.ok()) {
                    break;
                }
                Thread.sleep(1000);
            }
            if (!check.ok()) {
                throw new IllegalStateException(target.label + " does not work: " + check.reason()
                        + (target.server != null ? "\nserver log:\n" + Bench.tail(target.server.log, 30) : ""));
            }
        }
        checkServers("the start-up checks");

        // Phase 1: latency, one request at a time, targets interleaved round-robin.
        Map<String, Stats> latency = new LinkedHashMap<>();
        CpuSample before = sampleCpu();
        for (Target target : targets) {
            for (int i = 0; i < options.warmup; i++) {
                runOnce(target, slots.get(0), "warmup", 1, i);
            }
        }
        progress("Latency: " + options.runs + " rounds over " + targets.size() + " targets, one request at a time");
        for (int round = 0; round < options.runs; round++) {
            for (int k = 0; k < targets.size(); k++) {
                Target target = targets.get((round + k) % targets.size());
                runOnce(target, slots.get(0), "latency", 1, round);
            }
            if ((round + 1) % 10 == 0 || round + 1 == options.runs) {
                progress("  round " + (round + 1) + "/" + options.runs);
            }
        }
        CpuSample after = sampleCpu();
        checkServers("the latency phase");
        double latencyOtherLoad = otherLoadPercent(before, after);
        for (Target target : targets) {
            latency.put(target.key, stats(select("latency", target.key, 1), 0, null, null));
        }

        // Phase 2: throughput with concurrent clients.
        Map<String, Stats> throughput = new LinkedHashMap<>();
        for (int clients : options.clients) {
            for (Target target : targets) {
                Thread.sleep(1000); // lets the previous cell's processes finish exiting
                Stats s = cell(target, clients);
                checkServers("the throughput cell " + target.label + ", " + clients + " clients");
                throughput.put(target.key + "/" + clients, s);
                progress(String.format(Locale.ROOT, "Throughput: %-38s %2d clients: %5.2f req/s, %d ok, %d failed",
                        target.label, clients, s.perSecond(), s.ok, s.failed));
            }
        }

        for (Server server : servers) {
            server.stop();
        }
        String report = machine + "\n" + report(targets, latency, latencyOtherLoad, throughput);
        writeResults(targets, latency, throughput, report);
        finished = true;
        System.out.println();
        System.out.print(report);
        System.out.println("Raw numbers (runs.tsv, summary.tsv), this report and the server logs: "
                + options.shownResults());
        return 0;
    }

    /** Notes (once) each server that is no longer running although it was never told to stop. */
    void checkServers(String during) {
        for (Server server : servers) {
            if (server.process != null && server.diedDuring == null && server.exitStatus == null
                    && !server.process.isAlive()) {
                server.diedDuring = during;
                server.exitStatus = server.process.exitValue();
                progress("WARNING: " + server.label + " (pid " + server.process.pid() + ") died during " + during
                        + ": " + describeStatus(server.exitStatus));
            }
        }
    }

    /** Java reports death by signal N as 128+N. */
    static String describeStatus(int status) {
        Map<Integer, String> signals = Map.of(1, "SIGHUP", 2, "SIGINT", 6, "SIGABRT", 7, "SIGBUS", 9, "SIGKILL",
                11, "SIGSEGV", 13, "SIGPIPE", 15, "SIGTERM");
        String signal = status > 128 ? signals.get(status - 128) : null;
        return "exit status " + status + (signal != null ? " = 128+" + signal : "");
    }

    Slot newSlot(int index, Path dir) throws IOException {
        Files.createDirectories(dir);
        return new Slot(index, dir, dir.resolve("systemtap"), dir.resolve("stdout"), dir.resolve("stderr"));
    }

    void trust(Slot slot, Server server) throws IOException, InterruptedException {
        List<String> command = List.of("stap", "--trust-servers=ssl,no-prompt", "--use-server=" + server.address());
        Process process = clientProcess(command, slot);
        if (!process.waitFor(options.timeout, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("trusting " + server.label + " timed out");
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("trusting " + server.label + " failed (exit " + process.exitValue()
                    + "): " + Files.readString(slot.stderr));
        }
    }

    Process clientProcess(List<String> command, Slot slot) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(slot.dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(slot.stdout.toFile())
                .redirectError(slot.stderr.toFile());
        builder.environment().clear();
        builder.environment().putAll(Bench.baseEnvironment());
        builder.environment().put("SYSTEMTAP_DIR", slot.systemtap.toString());
        return builder.start();
    }

    /** One stock-client run: `stap [--use-server=...] -r R -p3 -e SCRIPT`, timed from spawn to exit. */
    Run runOnce(Target target, Slot slot, String phase, int clients, int seq) throws IOException, InterruptedException {
        String script = HELLO;
        String expected = HELLO_EXPECTED;
        if (target.distinct) {
            expected = "bench-" + runId + "-" + distinctCounter.incrementAndGet();
            script = "probe begin { printf(\"Hello World! " + expected + "\\n\"); exit() }";
        }
        List<String> command = new ArrayList<>();
        command.add("stap");
        if (target.server != null) {
            command.add("--use-server=" + target.server.address());
        }
        command.addAll(List.of("-r", release, "-p3", "-e", script));
        long start = System.nanoTime();
        Process process = clientProcess(command, slot);
        boolean finished = process.waitFor(options.timeout, TimeUnit.SECONDS);
        long end = System.nanoTime();
        int exit;
        String reason;
        if (!finished) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            exit = -1;
            reason = "timeout after " + options.timeout + " s";
        } else {
            exit = process.exitValue();
            if (exit != 0) {
                reason = "exit " + exit + ": " + firstProblem(slot.stderr);
                if (target.server != null && !"S".equals(processState(target.server.process.pid()))
                        && !"R".equals(processState(target.server.process.pid()))) {
                    reason += " [server process state " + processState(target.server.process.pid()) + "]";
                }
            } else if (!Files.readString(slot.stdout, StandardCharsets.UTF_8).contains(expected)) {
                reason = "exit 0 but the output lacks the script's string '" + expected + "'";
            } else {
                reason = "";
            }
        }
        Run run = new Run(phase, target.key, clients, slot.index, seq, (start - benchStart) / 1e6,
                (end - start) / 1e6, exit, reason.isEmpty(), reason);
        if (!run.ok()) {
            saveFailure(run, slot);
        }
        runs.add(run);
        return run;
    }

    /** Keeps the stderr of the first failures of each target and level for the operator. */
    void saveFailure(Run run, Slot slot) {
        String key = run.target + "-" + run.phase + "-" + run.clients;
        synchronized (savedFailures) {
            int n = savedFailures.merge(key, 1, Integer::sum);
            if (n > 5) {
                return;
            }
        }
        try {
            Path dir = results.resolve("failures");
            Files.createDirectories(dir);
            Files.copy(slot.stderr, dir.resolve(String.format(Locale.ROOT, "%s-slot%02d-seq%04d.stderr",
                    key, run.slot, run.seq)), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            // only a diagnostic copy
        }
    }

    String firstProblem(Path stderr) throws IOException {
        List<String> lines = Files.readAllLines(stderr, StandardCharsets.UTF_8);
        List<String> relevant = lines.stream().map(String::strip).filter(l -> !l.isEmpty())
                .filter(l -> !BENIGN_STDERR.matcher(l).matches()).toList();
        if (relevant.isEmpty()) {
            return "(nothing on stderr)";
        }
        String first = relevant.get(0);
        return first.length() > 160 ? first.substring(0, 160) + "..." : first;
    }

    /** A throughput cell: `clients` loops of stock-client runs, each starting runs until the duration is up. */
    Stats cell(Target target, int clients) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        List<Exception> errors = Collections.synchronizedList(new ArrayList<>());
        long[] startAndDeadline = new long[2];
        for (int i = 0; i < clients; i++) {
            Slot slot = slots.get(i);
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                    int seq = 0;
                    while (System.nanoTime() < startAndDeadline[1]) {
                        runOnce(target, slot, "throughput", clients, seq++);
                    }
                } catch (Exception e) {
                    errors.add(e);
                }
            }, "client-" + i);
            thread.start();
            threads.add(thread);
        }
        CpuSample before = sampleCpu();
        startAndDeadline[0] = System.nanoTime();
        startAndDeadline[1] = startAndDeadline[0] + TimeUnit.SECONDS.toNanos(options.duration);
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        CpuSample after = sampleCpu();
        if (!errors.isEmpty()) {
            throw errors.get(0);
        }
        List<Run> selected = select("throughput", target.key, clients);
        double windowEndMs = (startAndDeadline[1] - benchStart) / 1e6;
        long inWindow = selected.stream().filter(r -> r.ok && r.startMs + r.latencyMs <= windowEndMs).count();
        return stats(selected, (after.nanos - before.nanos) / 1e9, target.server, new CpuSample[] {before, after})
                .withWindowPerSecond((double) inWindow / options.duration);
    }

    List<Run> select(String phase, String target, int clients) {
        synchronized (runs) {
            return runs.stream().filter(r -> r.phase.equals(phase) && r.target.equals(target) && r.clients == clients)
                    .toList();
        }
    }

    /** `server`: whose CPU use is charged to these runs (null: none); `cpu`: samples around them (or null). */
    Stats stats(List<Run> selected, double seconds, Server server, CpuSample[] cpu) {
        List<Double> ok = selected.stream().filter(Run::ok).map(Run::latencyMs).sorted().toList();
        int failed = (int) selected.stream().filter(r -> !r.ok).count();
        double serverMs = Double.NaN;
        double clientMs = Double.NaN;
        double other = Double.NaN;
        long drops = -1;
        if (cpu != null && !selected.isEmpty()) {
            CpuSample a = cpu[0];
            CpuSample b = cpu[1];
            // A server that died meanwhile was reaped by this JVM: its CPU time moved into our children's
            // total, so neither its share nor the clients' can be told apart any more.
            if (a.perServer.keySet().equals(b.perServer.keySet())) {
                clientMs = ticksToMs(b.ours - b.servers - (a.ours - a.servers)) / selected.size();
            }
            other = otherLoadPercent(a, b);
            drops = a.listenDrops < 0 || b.listenDrops < 0 ? -1 : b.listenDrops - a.listenDrops;
            if (server != null && a.perServer.containsKey(server.key) && b.perServer.containsKey(server.key)) {
                serverMs = ticksToMs(b.perServer.get(server.key) - a.perServer.get(server.key)) / selected.size();
            }
        }
        return new Stats(ok.size(), failed, Bench.quantile(ok, 0.50), Bench.quantile(ok, 0.90),
                ok.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN),
                ok.isEmpty() ? Double.NaN : ok.get(ok.size() - 1), seconds, serverMs, clientMs, other, drops,
                Double.NaN);
    }

    // ------------------------------------------------------------------------------------------------
    // CPU accounting

    CpuSample sampleCpu() {
        long serverTicks = 0;
        Map<String, Long> perServer = new TreeMap<>();
        for (Server server : servers) {
            if (server.process != null && server.process.isAlive()) {
                long ticks = server.cpuTicks();
                perServer.put(server.key, ticks);
                serverTicks += ticks;
            }
        }
        return new CpuSample(System.nanoTime(), Bench.machineBusyTicks(),
                Bench.processTicks(ProcessHandle.current().pid())
                + serverTicks, serverTicks, perServer, listenDrops());
    }

    /** Share of the machine (all CPUs) busy with processes that are not this benchmark's, in percent. */
    double otherLoadPercent(CpuSample a, CpuSample b) {
        return Bench.otherLoadPercent(b.systemBusy - a.systemBusy, b.ours - a.ours, b.nanos - a.nanos, clockTicks,
                nproc);
    }

    double ticksToMs(long ticks) {
        return ticks * 1000.0 / clockTicks;
    }

    /**
     * TcpExt ListenDrops of /proc/net/netstat: connection attempts the kernel dropped because a listen
     * queue (the backlog) was full. Machine-wide (this network namespace); -1 if unreadable.
     */
    static long listenDrops() {
        try {
            String[] names = null;
            for (String line : Files.readAllLines(Path.of("/proc/net/netstat"))) {
                if (!line.startsWith("TcpExt:")) {
                    continue;
                }
                String[] fields = line.trim().split("\\s+");
                if (names == null) {
                    names = fields;
                } else {
                    for (int i = 1; i < Math.min(names.length, fields.length); i++) {
                        if (names[i].equals("ListenDrops")) {
                            return Long.parseLong(fields[i]);
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // not available
        }
        return -1;
    }

    /** The state letter of /proc/PID/stat (R, S, D, T = stopped, Z, ...), or "gone". */
    static String processState(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+")[0];
        } catch (IOException | RuntimeException e) {
            return "gone";
        }
    }

    static boolean listening(int port) {
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 3 && f[3].equals("0A") && f[1].contains(":")) {
                        String hexPort = f[1].substring(f[1].lastIndexOf(':') + 1);
                        if (Integer.parseInt(hexPort, 16) == port) {
                            return true;
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                // table missing (no IPv6): try the other
            }
        }
        return false;
    }

    // ------------------------------------------------------------------------------------------------
    // Report

    String machineReport() throws IOException, InterruptedException {
        String kernel = Bench.output(List.of("uname", "-r")).strip();
        String releases = String.join(" ", Bench.installedReleases());
        StringBuilder b = new StringBuilder();
        b.append("stapfarm compile benchmark, ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append('\n');
        b.append(String.format(Locale.ROOT, "  machine   : nproc %d; %s; kernel %s; load average at start %s%n",
                nproc, Bench.cpuModel(), kernel, Bench.loadAverage()));
        b.append("  stap      : ").append(Bench.stapVersion()).append('\n');
        b.append("  java      : ").append(System.getProperty("java.runtime.version")).append('\n');
        b.append("  release   : -r ").append(release).append("   (installed: ").append(releases).append(")\n");
        b.append("  reference : ").append(options.reference).append('\n');
        b.append("  stapfarm  : ").append(options.distribution()).append('\n');
        b.append(String.format(Locale.ROOT, "  servers   : --max-threads %d each, loopback, started side by side%n",
                maxThreads));
        b.append("  request   : stap [--use-server=127.0.0.1:PORT] -r ").append(release).append(" -p3 -e '")
                .append(HELLO).append("'\n");
        b.append(String.format(Locale.ROOT, "  settings  : --runs %d --warmup %d --clients %s --duration %d "
                        + "--timeout %d%n", options.runs, options.warmup,
                options.clients.stream().map(String::valueOf).collect(Collectors.joining(",")), options.duration,
                options.timeout));
        return b.toString();
    }

    String report(List<Target> targets, Map<String, Stats> latency, double latencyOtherLoad,
                  Map<String, Stats> throughput) throws IOException {
        StringBuilder b = new StringBuilder();
        Stats localStats = latency.get("local");
        b.append(String.format(Locale.ROOT,
                "%n1. Latency, one request at a time: %d runs per target after %d warm-up runs, targets interleaved%n",
                options.runs, options.warmup));
        b.append(String.format(Locale.ROOT, "   (other load on the machine meanwhile: %.0f%% of its CPUs)%n%n",
                latencyOtherLoad));
        b.append(String.format(Locale.ROOT, "   %-38s %4s %4s %8s %8s %8s %8s %9s %9s%n", "target", "ok", "fail",
                "p50 ms", "p90 ms", "mean ms", "max ms", "p50/local", "p90/local"));
        for (Target t : targets) {
            Stats s = latency.get(t.key);
            b.append(String.format(Locale.ROOT, "   %-38s %4d %4d %8.1f %8.1f %8.1f %8.1f %8.2fx %8.2fx%n", t.label,
                    s.ok, s.failed, s.p50, s.p90, s.mean, s.max, s.p50 / localStats.p50, s.p90 / localStats.p90));
        }

        b.append(String.format(Locale.ROOT,
                "%n2. Throughput: N concurrent clients, each a loop of stock-client runs started for %d s%n",
                options.duration));
        b.append("   (req/s: successful runs over the time until the last run ended; in win: successful runs "
                + "that ended\n    within the " + options.duration + " s, per second; latencies are of successful runs;\n    srv/cli CPU: ms of CPU per run used by that server's process tree and by the "
                + "client processes;\n    lq drp: connection attempts the kernel dropped during the cell because a "
                + "listen backlog was full\n    (machine-wide TcpExt ListenDrops; the client's TCP retries such a SYN "
                + "after 1 s, 3 s, 7 s, ...);\n    other: CPU share used by processes outside this benchmark)\n\n");
        b.append(String.format(Locale.ROOT, "   %-38s %3s %5s %4s %7s %7s %8s %8s %7s %8s %8s %8s %6s %6s%n", "target",
                "cl", "ok", "fail", "req/s", "in win", "p50 ms", "p90 ms", "p90/p50", "max ms", "srv CPU", "cli CPU",
                "lq drp", "other"));
        double maxOther = latencyOtherLoad;
        for (int clients : options.clients) {
            for (Target t : targets) {
                Stats s = throughput.get(t.key + "/" + clients);
                b.append(String.format(Locale.ROOT, "   %-38s %3d %5d %4d %7.2f %7s %8s %8s %7s %8s %8s %8s %6s %5.0f%%%s%n",
                        t.label, clients, s.ok, s.failed, s.perSecond(), cellNumber(s.windowPerSecond, "%.2f"),
                        cellNumber(s.p50, "%.1f"),
                        cellNumber(s.p90, "%.1f"), cellNumber(s.p90 / s.p50, "%.2f"), cellNumber(s.max, "%.1f"),
                        cellNumber(s.serverCpuMsPerRun, "%.1f"), cellNumber(s.clientCpuMsPerRun, "%.1f"),
                        s.listenDrops < 0 ? "?" : Long.toString(s.listenDrops), s.otherLoadPercent,
                        s.otherLoadPercent > OTHER_LOAD_WARNING ? " !" : ""));
                maxOther = Math.max(maxOther, s.otherLoadPercent);
            }
            b.append('\n');
        }

        for (Server server : servers) {
            if (server.diedDuring != null) {
                b.append(String.format(Locale.ROOT, "   SERVER DIED: %s died during %s (%s); every later run against "
                        + "it failed.%n%n", server.label, server.diedDuring, describeStatus(server.exitStatus)));
            }
        }
        if (maxOther > OTHER_LOAD_WARNING) {
            b.append(String.format(Locale.ROOT, "   WARNING: processes outside this benchmark used up to %.0f%% of the machine's CPUs during "
                    + "the\n   measurements (latency phase: %.0f%%; throughput cells marked !); those numbers are slower "
                    + "and\n   noisier than on an idle machine.\n\n", maxOther, latencyOtherLoad));
        }
        b.append("3. Targets\n");
        Stats refLatency = latency.get("reference");
        b.append(String.format(Locale.ROOT, "   latency p50 vs local (target <= 1.10x; reference measured %.2fx):%n",
                refLatency.p50 / localStats.p50));
        for (String key : List.of("stapfarm-nocache", "stapfarm-distinct", "stapfarm-cache")) {
            Stats s = latency.get(key);
            double ratio = s.p50 / localStats.p50;
            b.append(String.format(Locale.ROOT, "     %-38s %5.2fx  %s%n", label(targets, key), ratio,
                    ratio <= 1.10 ? "meets" : "MISSES"));
        }
        int top = Collections.max(options.clients);
        Stats refTop = throughput.get("reference/" + top);
        Server referenceServer = servers.get(0);
        b.append(String.format(Locale.ROOT, "   at %d clients: req/s >= reference (%.2f req/s, %d failed%s) and p90 < 2x p50:%n",
                top, refTop.perSecond(), refTop.failed, referenceServer.diedDuring != null
                        ? "; it died during " + referenceServer.diedDuring : ""));
        for (String key : List.of("stapfarm-nocache", "stapfarm-distinct", "stapfarm-cache")) {
            Stats s = throughput.get(key + "/" + top);
            b.append(String.format(Locale.ROOT, "     %-38s %6.2f req/s %s (in window %.2f vs %.2f: %s); p90/p50 %.2f %s; %d failed%n",
                    label(targets, key), s.perSecond(), s.perSecond() >= refTop.perSecond() ? "meets" : "MISSES",
                    s.windowPerSecond, refTop.windowPerSecond, s.windowPerSecond >= refTop.windowPerSecond ? "meets" : "MISSES",
                    s.p90 / s.p50, s.p90 < 2 * s.p50 ? "meets" : "MISSES", s.failed));
        }

        b.append("\n4. Failed client runs (exit status and first stderr line, warm-up and checks included)\n");
        Map<String, Integer> reasons = new TreeMap<>();
        synchronized (runs) {
            for (Run r : runs) {
                if (!r.ok) {
                    reasons.merge(String.format(Locale.ROOT, "%-18s %-10s %2d clients: %s", r.target, r.phase,
                            r.clients, r.reason), 1, Integer::sum);
                }
            }
        }
        if (reasons.isEmpty()) {
            b.append("   none\n");
        }
        reasons.forEach((reason, count) -> b.append(String.format(Locale.ROOT, "   %5d x %s%n", count, reason)));

        b.append("\n5. Server logs (lines with timestamps removed and numbers replaced by #, most frequent first)\n");
        for (Server server : servers) {
            b.append("   ").append(server.label).append(server.diedDuring != null
                    ? " (DIED during " + server.diedDuring + ": " + describeStatus(server.exitStatus)
                            + "; a crash is usually also in the kernel log, dmesg)"
                    : " (after SIGTERM: " + (server.exitStatus == null ? "did not exit"
                            : describeStatus(server.exitStatus)) + ")").append('\n');
            List<Double> handled = answeredTimes(server.log);
            if (!handled.isEmpty()) {
                b.append(String.format(Locale.ROOT, "     its own timing of all %d answered requests (\"answered ... in N ms\"):"
                        + " p50 %.0f ms, p90 %.0f ms, max %.0f ms%n", handled.size(), Bench.quantile(handled, 0.50),
                        Bench.quantile(handled, 0.90), handled.get(handled.size() - 1)));
            }
            for (String line : logHistogram(server.log, 14)) {
                b.append("     ").append(line).append('\n');
            }
        }
        b.append('\n');
        return b.toString();
    }

    static List<Double> answeredTimes(Path log) throws IOException {
        if (!Files.exists(log)) {
            return List.of();
        }
        List<Double> times = new ArrayList<>();
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            Matcher m = ANSWERED.matcher(line);
            if (m.find()) {
                times.add(Double.parseDouble(m.group(1)));
            }
        }
        Collections.sort(times);
        return times;
    }

    static String cellNumber(double value, String format) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "-" : String.format(Locale.ROOT, format, value);
    }

    static String label(List<Target> targets, String key) {
        return targets.stream().filter(t -> t.key.equals(key)).map(Target::label).findFirst().orElse(key);
    }

    static List<String> logHistogram(Path log, int limit) throws IOException {
        if (!Files.exists(log)) {
            return List.of("(no log)");
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            String normalized = LOG_TIMESTAMP.matcher(line).replaceFirst("").replaceAll("[0-9a-f]{2}(:[0-9a-f]{2}){3,}",
                    "#").replaceAll("\\d+", "#").strip();
            if (normalized.length() > 120) {
                normalized = normalized.substring(0, 117) + "...";
            }
            if (!normalized.isEmpty()) {
                counts.merge(normalized, 1, Integer::sum);
            }
        }
        List<Map.Entry<String, Integer>> entries = new ArrayList<>(counts.entrySet());
        entries.sort((x, y) -> y.getValue() - x.getValue());
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < Math.min(limit, entries.size()); i++) {
            lines.add(String.format(Locale.ROOT, "%6d x %s", entries.get(i).getValue(), entries.get(i).getKey()));
        }
        if (entries.size() > limit) {
            lines.add(String.format(Locale.ROOT, "       (%d rarer kinds of line not shown)", entries.size() - limit));
        }
        return lines;
    }

    void writeResults(List<Target> targets, Map<String, Stats> latency, Map<String, Stats> throughput,
                      String report) throws IOException {
        writeRawResults();
        StringBuilder summary = new StringBuilder("phase\ttarget\tclients\tok\tfailed\tp50_ms\tp90_ms\tmean_ms\tmax_ms"
                + "\tseconds\treq_per_s\tserver_cpu_ms_per_run\tclient_cpu_ms_per_run\tother_load_pct\tlisten_drops"
                + "\treq_per_s_in_window\n");
        for (Target t : targets) {
            summary.append(summaryLine("latency", t.key, 1, latency.get(t.key)));
        }
        for (int clients : options.clients) {
            for (Target t : targets) {
                summary.append(summaryLine("throughput", t.key, clients, throughput.get(t.key + "/" + clients)));
            }
        }
        Files.writeString(results.resolve("summary.tsv"), summary, StandardCharsets.UTF_8);
        Files.writeString(results.resolve("report.txt"), report, StandardCharsets.UTF_8);
    }

    /** runs.tsv and the server logs: all there is when the run was interrupted. */
    void writeRawResults() throws IOException {
        StringBuilder raw = new StringBuilder(
                "phase\ttarget\tclients\tslot\tseq\tstart_ms\tlatency_ms\texit\tok\treason\n");
        synchronized (runs) {
            for (Run r : runs) {
                raw.append(String.join("\t", r.phase, r.target, Integer.toString(r.clients),
                        Integer.toString(r.slot), Integer.toString(r.seq), String.format(Locale.ROOT, "%.1f", r.startMs),
                        String.format(Locale.ROOT, "%.2f", r.latencyMs), Integer.toString(r.exit),
                        r.ok ? "1" : "0", r.reason.replace('\t', ' '))).append('\n');
            }
        }
        Files.writeString(results.resolve("runs.tsv"), raw, StandardCharsets.UTF_8);
        Path logs = results.resolve("server-logs");
        Files.createDirectories(logs);
        for (Server server : servers) {
            for (String name : List.of("log", "console")) {
                Path file = server.dir.resolve(name);
                if (Files.exists(file)) {
                    Files.copy(file, logs.resolve(server.key + "." + name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    static String summaryLine(String phase, String target, int clients, Stats s) {
        return String.join("\t", phase, target, Integer.toString(clients), Integer.toString(s.ok),
                Integer.toString(s.failed), num(s.p50), num(s.p90), num(s.mean), num(s.max), num(s.seconds),
                num(s.perSecond()), num(s.serverCpuMsPerRun), num(s.clientCpuMsPerRun), num(s.otherLoadPercent),
                s.listenDrops < 0 ? "" : Long.toString(s.listenDrops), num(s.windowPerSecond)) + "\n";
    }

    static String num(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "" : String.format(Locale.ROOT, "%.3f", v);
    }

    // ------------------------------------------------------------------------------------------------
    // Helpers

    /** Shutdown hook: stops the servers; after an interruption also keeps the raw numbers measured so far. */
    @Override
    public void onExit() {
        stopServersQuietly();
        if (!finished) {
            try {
                writeRawResults();
                progress("interrupted: the runs so far are in runs.tsv, the server logs in server-logs/");
            } catch (IOException | RuntimeException e) {
                // nothing more to save
            }
        }
    }

    void stopServersQuietly() {
        for (Server server : servers) {
            try {
                server.stop();
            } catch (RuntimeException e) {
                // best effort on the way out
            }
        }
    }

    static void progress(String message) {
        Bench.progress("[bench] ", message);
    }

    static String firstRelease() {
        List<String> releases = Bench.installedReleases();
        if (releases.isEmpty()) {
            throw new IllegalStateException("no kernel build tree under /lib/modules/*/build; pass --release");
        }
        return releases.get(0);
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path source : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
