// Bench: what the benchmark drivers here (CompileBench, ClusterBench) share: their main, command-line
// options, server processes, CPU accounting, facts about the machine, quantiles. Not a program:
// as-bench-user compiles it onto the class path of the driver it runs; to run a driver by hand, compile it
// first (README.md).

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

public final class Bench {

    /** What a stapfarm or reference server logs once it listens, with the port the kernel chose. */
    public static final Pattern LISTENING = Pattern.compile("Using network address \\S*:(\\d+)\\s*$",
            Pattern.MULTILINE);

    private static final Object OUTPUT_LOCK = new Object();

    private Bench() {
    }

    // ------------------------------------------------------------------------------------------------
    // Drivers

    /** A benchmark, as {@link #launch} runs it. */
    public interface Driver {
        /** Measures and reports; the exit status. */
        int run() throws Exception;

        /** On the way out, also after a failure or a signal: stops what the driver started, keeps what it can. */
        void onExit();
    }

    public interface DriverFactory<O> {
        Driver create(O options) throws Exception;
    }

    /**
     * A driver's main: parses the command line (a null result asks for the usage), refuses root (the servers
     * would), and runs the driver with its {@link Driver#onExit} as a shutdown hook. Exits 0 after a
     * successful run, 1 when it failed, 2 for a bad command line or root.
     *
     * @param rootCommand what root runs instead (it switches to an unprivileged user)
     */
    public static <O> void launch(String program, String usage, String rootCommand, String[] args,
                                  java.util.function.Function<String[], O> parse, DriverFactory<O> factory) {
        O options;
        try {
            options = parse.apply(args);
        } catch (IllegalArgumentException e) {
            System.err.println(program + ": " + e.getMessage());
            System.err.println(usage);
            System.exit(2);
            return;
        }
        if (options == null) {
            System.out.println(usage);
            return;
        }
        if ("root".equals(System.getProperty("user.name"))) {
            System.err.println(program + ": run it as an unprivileged user (servers refuse root); as root, use "
                    + rootCommand + ", which switches to one.");
            System.exit(2);
        }
        int status;
        try {
            Driver driver = factory.create(options);
            Runtime.getRuntime().addShutdownHook(new Thread(driver::onExit, "on-exit"));
            status = driver.run();
        } catch (Exception e) {
            System.err.println(program + ": " + e.getMessage());
            status = 1;
        }
        System.exit(status);
    }

    /**
     * The options as-bench-user gives every driver: the distribution, the scratch directory, where results go
     * and how the report names that place, a label for the build. Drivers' options extend it.
     */
    public static class Locations {
        public Path dist = Path.of("modules/dist/target/stapfarm");
        public Path work;
        public Path results;
        public String resultsShownAs;
        public String label = "";

        /** Takes {@code option} if it is one of these; false for any other. */
        public boolean take(String option, String value) {
            switch (option) {
                case "--dist" -> dist = Path.of(value);
                case "--work" -> work = Path.of(value);
                case "--results" -> results = Path.of(value);
                case "--results-shown-as" -> resultsShownAs = value;
                case "--label" -> label = value;
                default -> {
                    return false;
                }
            }
            return true;
        }

        /** Makes the scratch directory (a new one under /tmp named {@code prefix...} unless given) and WORK/results. */
        public void prepare(String prefix) throws IOException {
            work = work != null ? work : Files.createTempDirectory(prefix);
            Files.createDirectories(work);
            results = results != null ? results : work.resolve("results");
            Files.createDirectories(results);
        }

        public String shownResults() {
            return resultsShownAs != null ? resultsShownAs : results.toString();
        }

        /** The distribution and the label, for the report's header. */
        public String distribution() {
            return dist.toAbsolutePath().normalize() + (label.isEmpty() ? "" : "  (" + label + ")");
        }
    }

    /**
     * A STAPFARM_CONF directory: an application.conf of the distribution's defaults with {@code overrides}
     * (HOCON lines), and the distribution's logback.xml.
     */
    public static Path configuration(Path directory, Path dist, String... overrides) throws IOException {
        Files.createDirectories(directory);
        Files.writeString(directory.resolve("application.conf"), "include classpath(\"application\")\n"
                + String.join("\n", overrides) + "\n", StandardCharsets.UTF_8);
        Files.copy(dist.resolve("conf/logback.xml"), directory.resolve("logback.xml"),
                StandardCopyOption.REPLACE_EXISTING);
        return directory;
    }

    // ------------------------------------------------------------------------------------------------
    // Command lines

    /**
     * Reads the command line into the driver's options, each option written `--name value` or
     * `--name=value`: {@code own} takes the driver's own options (false: not one of them), {@code common}
     * the ones every driver has. False when `-h` or `--help` asks for the usage instead.
     *
     * @throws IllegalArgumentException for an unknown option, one without its value, or a bad value
     */
    public static boolean parse(String[] args, Locations common, java.util.function.BiPredicate<String, String> own) {
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            String value = null;
            int eq = name.indexOf('=');
            if (name.startsWith("--") && eq > 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (name.equals("-h") || name.equals("--help")) {
                return false;
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("option " + name + " needs a value");
                }
                value = args[++i];
            }
            if (!own.test(name, value) && !common.take(name, value)) {
                throw new IllegalArgumentException("unknown option " + name);
            }
        }
        return true;
    }

    /** A whole number of at least {@code minimum}, or an exception that names the option. */
    public static int count(String option, String value, int minimum) {
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= minimum) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + " wants a whole number of at least " + minimum + ", not '"
                + value + "'");
    }

    /** A comma-separated list of positive whole numbers, each once, ascending; at least one. */
    public static List<Integer> counts(String option, String value) {
        List<Integer> counts = Stream.of(value.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .map(s -> count(option, s, 1)).distinct().sorted().toList();
        if (counts.isEmpty()) {
            throw new IllegalArgumentException(option + " needs at least one number");
        }
        return counts;
    }

    /** Progress on standard error, each message's lines with the prefix, whole messages at once. */
    public static void progress(String prefix, String message) {
        synchronized (OUTPUT_LOCK) {
            System.err.println(prefix + message.replace("\n", "\n" + prefix));
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Processes

    /** The environment every process of a benchmark starts with: the user's identity, a plain PATH, UTF-8. */
    public static Map<String, String> baseEnvironment() {
        Map<String, String> env = new TreeMap<>();
        env.put("HOME", System.getProperty("user.home"));
        env.put("USER", System.getProperty("user.name"));
        env.put("LOGNAME", System.getProperty("user.name"));
        env.put("PATH", "/usr/bin:/bin");
        env.put("LANG", "C.UTF-8");
        return env;
    }

    /** Starts `pids`, the list as-bench-user stops from should the driver be interrupted: the driver first. */
    public static void recordDriver(Path pids) throws IOException {
        Files.writeString(pids, ProcessHandle.current().pid() + " driver\n", StandardCharsets.UTF_8);
    }

    /** A short command run to its end (at most two minutes) with the base environment: its output. */
    public static String output(List<String> command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().clear();
        builder.environment().putAll(baseEnvironment());
        Process process = builder.start();
        String out;
        try (InputStream in = process.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish within 120 s");
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (exit " + process.exitValue() + "): "
                    + out.strip());
        }
        return out;
    }

    /** A server in the foreground as a child of the driver, its output in `console`, its messages in `log`. */
    public static class ServerProcess {

        /** Whether a server whose port is known is ready for requests; false to ask again shortly. */
        public interface Readiness {
            boolean ready(ServerProcess server) throws Exception;
        }

        public final String label;
        public final Path dir;
        public final Path log;
        public final Path console;
        public final Map<String, String> environment = new TreeMap<>(baseEnvironment());
        private final Path pids;
        public Process process;
        public int port;

        /** {@code pids}: where its pid is added for as-bench-user (see {@link #recordDriver}). */
        public ServerProcess(String label, Path dir, Path log, Path console, Path pids) {
            this.label = label;
            this.dir = dir;
            this.log = log;
            this.console = console;
            this.pids = pids;
        }

        public void start(List<String> command) throws IOException {
            Files.createDirectories(dir);
            ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(console.toFile());
            builder.environment().clear();
            builder.environment().putAll(environment);
            process = builder.start();
            Files.writeString(pids, process.pid() + " " + label + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }

        /**
         * Waits for the log to name the port, then until {@code readiness} says so.
         *
         * @throws IllegalStateException with the end of the log when the server exits or the time is up
         */
        public void awaitReady(long timeoutSeconds, Readiness readiness) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            while (port == 0) {
                Matcher m = LISTENING.matcher(Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "");
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                    break;
                }
                checkStarting(deadline, "to log its network address");
                Thread.sleep(100);
            }
            while (!readiness.ready(this)) {
                checkStarting(deadline, "to be ready on port " + port);
                Thread.sleep(100);
            }
        }

        private void checkStarting(long deadline, String what) {
            if (!process.isAlive()) {
                throw new IllegalStateException(label + " exited with status " + process.exitValue()
                        + " before it started; its log:\n" + tail(log, 30) + tail(console, 30));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(label + " took too long " + what + "; its log:\n" + tail(log, 30));
            }
        }

        /** utime + stime + cutime + cstime (children count once reaped); 0 before the start. */
        public long cpuTicks() {
            return process == null ? 0 : processTicks(process.pid());
        }

        /**
         * SIGTERM, as an init system stops a server; SIGKILL for it and its children when it has not exited
         * after {@code graceSeconds}. False when it had to be killed.
         */
        public boolean terminate(long graceSeconds) throws InterruptedException {
            process.destroy();
            if (process.waitFor(graceSeconds, TimeUnit.SECONDS)) {
                return true;
            }
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            return false;
        }
    }

    /** The last lines of a file, for messages; empty when it does not exist. */
    public static String tail(Path file, int lines) {
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

    // ------------------------------------------------------------------------------------------------
    // CPU accounting, in clock ticks

    public static long clockTicksPerSecond() throws IOException, InterruptedException {
        return Long.parseLong(output(List.of("getconf", "CLK_TCK")).strip());
    }

    /** user + nice + system + irq + softirq of all CPUs, from /proc/stat (0 when unreadable). */
    public static long machineBusyTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            // cpu user nice system idle iowait irq softirq steal ...
            return Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
                    + Long.parseLong(f[7]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** utime + stime + cutime + cstime of a process (0 when it is gone). */
    public static long processTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            // after "pid (comm) ": state(3) ppid ... utime is field 14, i.e. index 11 here
            return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * The share of the machine (all its CPUs) that processes other than the benchmark's kept busy, in
     * percent: machine-wide busy ticks minus the benchmark's own over a span of {@code nanos}.
     */
    public static double otherLoadPercent(long machineBusyTicks, long benchmarkTicks, long nanos, long clockTicks,
                                          int cpus) {
        double capacity = nanos / 1e9 * clockTicks * cpus;
        return capacity > 0 ? 100.0 * Math.max(0, machineBusyTicks - benchmarkTicks) / capacity : Double.NaN;
    }

    // ------------------------------------------------------------------------------------------------
    // The machine

    /** Kernel releases with a build tree under /lib/modules, sorted. */
    public static List<String> installedReleases() {
        try (Stream<Path> entries = Files.list(Path.of("/lib/modules"))) {
            return entries.filter(p -> Files.isDirectory(p.resolve("build"))).map(p -> p.getFileName().toString())
                    .sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    public static String cpuModel() throws IOException {
        return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown");
    }

    /** The 1, 5 and 15 minute load averages. */
    public static String loadAverage() throws IOException {
        String[] fields = Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+");
        return String.join(" ", List.of(fields).subList(0, 3));
    }

    /** The first line of `stap -V`: the translator and the client's version. */
    public static String stapVersion() throws IOException, InterruptedException {
        return output(List.of("stap", "-V")).lines().findFirst().orElse("unknown").strip();
    }

    // ------------------------------------------------------------------------------------------------
    // Statistics

    /** Linear interpolation between the closest ranks (numpy's default); {@code sorted} ascending, q in [0, 1]. */
    public static double quantile(List<Double> sorted, double q) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        double rank = q * (sorted.size() - 1);
        int below = (int) Math.floor(rank);
        int above = (int) Math.ceil(rank);
        return sorted.get(below) + (sorted.get(above) - sorted.get(below)) * (rank - below);
    }
}
