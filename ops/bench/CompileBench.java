// CompileBench: latency and throughput of a tiny `stap -p3` request with Debian's stock client, side by side:
// local (no server), the reference stap-serverd, and stapfarm (result cache on, cache off, distinct scripts).
//
// A single-file Java 17 program without dependencies: java ops/bench/CompileBench.java [options]
// Run it as an unprivileged user (both servers refuse root); ops/bench/run does that for an operator.
// See ops/bench/README.md for what is measured and how to read the report.

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
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

public class CompileBench {

    static final String HELLO = "probe begin { printf(\"Hello World!\\n\"); exit() }";
    static final String HELLO_EXPECTED = "Hello World!";
    /** The client prints this on every run here (no kallsyms for the target release); it is not an error. */
    static final Pattern BENIGN_STDERR = Pattern.compile("^WARNING: Kernel function symbol table missing.*");
    static final Pattern LISTENING = Pattern.compile("Using network address \\S*:(\\d+)\\s*$", Pattern.MULTILINE);
    static final Pattern LOG_TIMESTAMP = Pattern.compile("^[A-Z][a-z]{2} [A-Z][a-z]{2} +\\d+ \\d\\d:\\d\\d:\\d\\d \\d{4}: ");

    static final Pattern ANSWERED = Pattern.compile("answered: rc -?\\d+ in (\\d+) ms");
    /** Cells where processes outside the benchmark used more of the machine than this are flagged. */
    static final double OTHER_LOAD_WARNING = 10.0;

    static final Object OUTPUT_LOCK = new Object();

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("CompileBench: " + e.getMessage());
            System.err.println(Options.USAGE);
            System.exit(2);
            return;
        }
        if (options == null) {
            System.out.println(Options.USAGE);
            return;
        }
        if ("root".equals(System.getProperty("user.name"))) {
            System.err.println("CompileBench: run it as an unprivileged user (stap-serverd refuses root); "
                    + "as root, use ops/bench/run, which switches to one.");
            System.exit(2);
        }
        CompileBench bench = new CompileBench(options);
        Runtime.getRuntime().addShutdownHook(new Thread(bench::onExit, "stop-servers"));
        int status;
        try {
            status = bench.run();
        } catch (Exception e) {
            System.err.println("CompileBench: " + e.getMessage());
            bench.stopServersQuietly();
            status = 1;
        }
        System.exit(status);
    }

    // ------------------------------------------------------------------------------------------------
    // Options

    static final class Options {
        static final String USAGE = """
                usage: java CompileBench.java [options]        (as an unprivileged user; ops/bench/run as root)
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
        Path dist = Path.of("modules/dist/target/stapfarm");
        Path reference = Path.of("/usr/lib/systemtap/stap-serverd");
        Path work;
        Path results;
        String resultsShownAs;
        String label = "";

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                String value = null;
                int eq = arg.indexOf('=');
                if (arg.startsWith("--") && eq > 0) {
                    value = arg.substring(eq + 1);
                    arg = arg.substring(0, eq);
                }
                if (arg.equals("-h") || arg.equals("--help")) {
                    return null;
                }
                if (value == null) {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("option " + arg + " needs a value");
                    }
                    value = args[++i];
                }
                switch (arg) {
                    case "--runs" -> o.runs = positive(arg, value);
                    case "--warmup" -> o.warmup = nonNegative(arg, value);
                    case "--clients" -> o.clients = Stream.of(value.split(","))
                            .map(String::trim).filter(s -> !s.isEmpty())
                            .map(s -> positive("--clients", s)).distinct().sorted().toList();
                    case "--duration" -> o.duration = positive(arg, value);
                    case "--max-threads" -> o.maxThreads = positive(arg, value);
                    case "--timeout" -> o.timeout = positive(arg, value);
                    case "--release" -> o.release = value;
                    case "--dist" -> o.dist = Path.of(value);
                    case "--reference" -> o.reference = Path.of(value);
                    case "--work" -> o.work = Path.of(value);
                    case "--results" -> o.results = Path.of(value);
                    case "--results-shown-as" -> o.resultsShownAs = value;
                    case "--label" -> o.label = value;
                    default -> throw new IllegalArgumentException("unknown option " + arg);
                }
            }
            if (o.clients.isEmpty()) {
                throw new IllegalArgumentException("--clients needs at least one level");
            }
            return o;
        }

        static int positive(String option, String value) {
            int n = nonNegative(option, value);
            if (n == 0) {
                throw new IllegalArgumentException(option + " must be at least 1");
            }
            return n;
        }

        static int nonNegative(String option, String value) {
            try {
                int n = Integer.parseInt(value.trim());
                if (n < 0) {
                    throw new NumberFormatException();
                }
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " wants a whole number, not '" + value + "'");
            }
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Model

    /** One server process of the benchmark, started directly as the current (unprivileged) user. */
    final class Server {
        final String key;
        final String label;
        final Path dir;
        final Path log;
        final List<String> command;
        final Map<String, String> environment;
        Process process;
        int port;
        Integer exitStatus;
        /** Set when the server was found dead while the benchmark still needed it. */
        String diedDuring;

        Server(String key, String label, Path executable, Map<String, String> extraEnvironment) {
            this.key = key;
            this.label = label;
            this.dir = work.resolve("servers").resolve(key);
            this.log = dir.resolve("log");
            this.command = List.of(executable.toString(), "--port", "0", "-r", release,
                    "--ssl", dir.resolve("ssl").toString(), "--log", log.toString(),
                    "--max-threads", Integer.toString(maxThreads));
            this.environment = new TreeMap<>(baseEnvironment());
            // Keeps the server's own ~/.systemtap use (the reference authorises itself for local clients)
            // out of the user's home.
            this.environment.put("SYSTEMTAP_DIR", dir.resolve("systemtap").toString());
            this.environment.putAll(extraEnvironment);
        }

        void start() throws IOException {
            Files.createDirectories(dir.resolve("systemtap"));
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("console").toFile());
            builder.environment().clear();
            builder.environment().putAll(environment);
            process = builder.start();
            Files.writeString(work.resolve("pids"), process.pid() + " " + key + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        }

        /** Waits for the log to name the port, then for a listening socket on it (read from /proc/net). */
        void awaitListening(long timeoutSeconds) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            while (port == 0) {
                String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
                Matcher m = LISTENING.matcher(text);
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                    break;
                }
                checkAlive(deadline, "to log its network address");
                Thread.sleep(100);
            }
            while (!listening(port)) {
                checkAlive(deadline, "to listen on port " + port);
                Thread.sleep(100);
            }
        }

        private void checkAlive(long deadline, String what) throws IOException {
            if (!process.isAlive()) {
                throw new IllegalStateException(label + " exited with status " + process.exitValue()
                        + " before it started; its log:\n" + tail(log, 30) + tail(dir.resolve("console"), 30));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(label + " took too long " + what + "; its log:\n" + tail(log, 30));
            }
        }

        String address() {
            return "127.0.0.1:" + port;
        }

        /** utime + stime + cutime + cstime of the server process (children count once reaped). */
        long cpuTicks() {
            return process == null ? 0 : processTicks(process.pid());
        }

        synchronized void stop() {
            if (process == null || exitStatus != null) {
                return;
            }
            try {
                process.destroy(); // SIGTERM, as an init system stops it
                if (!process.waitFor(75, TimeUnit.SECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
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
        this.work = options.work != null ? options.work : Files.createTempDirectory("stapfarm-bench-");
        Files.createDirectories(work);
        this.results = options.results != null ? options.results : work.resolve("results");
        Files.createDirectories(results);
        this.release = options.release != null ? options.release : firstRelease();
        this.nproc = Integer.parseInt(command(List.of("nproc")).strip());
        this.maxThreads = options.maxThreads > 0 ? options.maxThreads : nproc;
        long ticks = 100;
        try {
            ticks = Long.parseLong(command(List.of("getconf", "CLK_TCK")).strip());
        } catch (RuntimeException e) {
            // keep 100, the Linux default
        }
        this.clockTicks = ticks;
        // For ops/bench/run: what to stop should this driver be killed (itself first, then its servers).
        Files.writeString(work.resolve("pids"), ProcessHandle.current().pid() + " driver\n", StandardCharsets.UTF_8);
    }

    Map<String, String> baseEnvironment() {
        Map<String, String> env = new TreeMap<>();
        env.put("HOME", System.getProperty("user.home"));
        env.put("USER", System.getProperty("user.name"));
        env.put("LOGNAME", System.getProperty("user.name"));
        env.put("PATH", "/usr/bin:/bin");
        env.put("LANG", "C.UTF-8");
        return env;
    }

    // ------------------------------------------------------------------------------------------------
    // The run

    int run() throws Exception {
        Path dist = options.dist.toAbsolutePath().normalize();
        if (!Files.isExecutable(dist.resolve("bin/stap-serverd"))) {
            throw new IllegalStateException("no stapfarm distribution at " + dist
                    + " (build it: mvn -q -B -o install -DskipTests)");
        }
        if (!Files.isExecutable(options.reference)) {
            throw new IllegalStateException("no reference server at " + options.reference
                    + " (install the systemtap-server package)");
        }
        String machine = machineReport(dist);
        progress(machine.strip());
        int levels = options.clients.size();
        double estimate = 20 + (options.warmup + options.runs) * 5 * 0.35
                + levels * 5 * (options.duration + 4);
        progress(String.format(Locale.ROOT, "Estimated duration: about %.0f minutes.", Math.ceil(estimate / 60)));

        // Servers, side by side on loopback ports chosen by the kernel.
        Path noCacheConf = work.resolve("conf-no-cache");
        Files.createDirectories(noCacheConf);
        Files.writeString(noCacheConf.resolve("application.conf"), """
                include classpath("application")
                stapfarm.workers.result-cache-size = 0
                """, StandardCharsets.UTF_8);
        Files.copy(dist.resolve("conf/logback.xml"), noCacheConf.resolve("logback.xml"),
                StandardCopyOption.REPLACE_EXISTING);
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
                        + (target.server != null ? "\nserver log:\n" + tail(target.server.log, 30) : ""));
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
                + (options.resultsShownAs != null ? options.resultsShownAs : results.toString()));
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
        builder.environment().putAll(baseEnvironment());
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
        return new Stats(ok.size(), failed, percentile(ok, 50), percentile(ok, 90),
                ok.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN),
                ok.isEmpty() ? Double.NaN : ok.get(ok.size() - 1), seconds, serverMs, clientMs, other, drops,
                Double.NaN);
    }

    /** Linear interpolation between closest ranks (as numpy's default); values sorted ascending. */
    static double percentile(List<Double> sorted, double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        double rank = p / 100.0 * (sorted.size() - 1);
        int low = (int) Math.floor(rank);
        int high = (int) Math.ceil(rank);
        return sorted.get(low) + (sorted.get(high) - sorted.get(low)) * (rank - low);
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
        return new CpuSample(System.nanoTime(), systemBusyTicks(), processTicks(ProcessHandle.current().pid())
                + serverTicks, serverTicks, perServer, listenDrops());
    }

    /** Share of the machine (all CPUs) busy with processes that are not this benchmark's, in percent. */
    double otherLoadPercent(CpuSample a, CpuSample b) {
        double capacity = (b.nanos - a.nanos) / 1e9 * clockTicks * nproc;
        long other = Math.max(0, (b.systemBusy - a.systemBusy) - (b.ours - a.ours));
        return capacity > 0 ? 100.0 * other / capacity : Double.NaN;
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

    static long systemBusyTicks() {
        try {
            String line = Files.readAllLines(Path.of("/proc/stat")).get(0);
            String[] f = line.trim().split("\\s+");
            // cpu user nice system idle iowait irq softirq steal ...
            return Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
                    + Long.parseLong(f[7]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** utime + stime + cutime + cstime of a process, in clock ticks (0 when it is gone). */
    static long processTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            // after "pid (comm) ": state(3) ppid ... utime is field 14, i.e. index 11 here
            return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
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

    String machineReport(Path dist) throws IOException, InterruptedException {
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown");
        String kernel = command(List.of("uname", "-r")).strip();
        String stap = command(List.of("stap", "-V")).lines().findFirst().orElse("unknown").strip();
        String load = String.join(" ", List.of(Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+"))
                .subList(0, 3));
        String releases = String.join(" ", installedReleases());
        StringBuilder b = new StringBuilder();
        b.append("stapfarm compile benchmark, ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append('\n');
        b.append(String.format(Locale.ROOT, "  machine   : nproc %d; %s; kernel %s; load average at start %s%n",
                nproc, cpu, kernel, load));
        b.append("  stap      : ").append(stap).append('\n');
        b.append("  java      : ").append(System.getProperty("java.runtime.version")).append('\n');
        b.append("  release   : -r ").append(release).append("   (installed: ").append(releases).append(")\n");
        b.append("  reference : ").append(options.reference).append('\n');
        b.append("  stapfarm  : ").append(dist).append(options.label.isEmpty() ? "" : "  (" + options.label + ")")
                .append('\n');
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
                        + " p50 %.0f ms, p90 %.0f ms, max %.0f ms%n", handled.size(), percentile(handled, 50),
                        percentile(handled, 90), handled.get(handled.size() - 1)));
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
    void onExit() {
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
        synchronized (OUTPUT_LOCK) {
            System.err.println("[bench] " + message.replace("\n", "\n[bench] "));
        }
    }

    static String firstRelease() {
        List<String> releases = installedReleases();
        if (releases.isEmpty()) {
            throw new IllegalStateException("no kernel build tree under /lib/modules/*/build; pass --release");
        }
        return releases.get(0);
    }

    static List<String> installedReleases() {
        try (Stream<Path> entries = Files.list(Path.of("/lib/modules"))) {
            return entries.filter(p -> Files.isDirectory(p.resolve("build"))).map(p -> p.getFileName().toString())
                    .sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    static String command(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor(60, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "";
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")\n";
        }
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
