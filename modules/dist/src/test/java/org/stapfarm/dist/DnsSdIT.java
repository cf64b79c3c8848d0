package org.stapfarm.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DNS-SD with the real programs, in a {@link NetworkLab} (network namespaces with their own avahi-daemon):
 * the stock `stap` client finds a stapfarm server through avahi and compiles through it without being told
 * where it is; stapfarm's commands find the reference `stap-serverd`, which publishes through avahi.
 */
class DnsSdIT {

    private static final String LAB_HOST = "stapfarm-lab";
    private static final String ARCH = "x86_64";
    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(3);
    /** JmDNS takes a few seconds to probe and announce; avahi a second. */
    private static final Duration ON_THE_AIR = Duration.ofSeconds(30);

    private static NetworkLab lab;
    /** Servers and commands in the lab advertise and browse on its loopback interface only. */
    private static Map<String, String> site;
    private static Path home;

    @BeforeAll
    static void startLab() throws IOException {
        Optional<String> unavailable = NetworkLab.unavailable();
        assumeTrue(unavailable.isEmpty(), () -> "DNS-SD interoperability not tested: " + unavailable.orElseThrow());
        lab = NetworkLab.start(LAB_HOST);
        site = SiteConfig.environment("stapfarm.discovery.enabled = on", "stapfarm.discovery.interfaces = [\"lo\"]");
    }

    @AfterAll
    static void stopLab() throws Exception {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void theStockClientListsAStapfarmServerAndCompilesThroughItWithoutAHost() throws Exception {
        List<String> releases = Releases.installed().subList(0, Math.min(2, Releases.installed().size()));
        List<String> options = new ArrayList<>();
        releases.forEach(release -> options.addAll(List.of("-r", release)));
        try (ServerProcess server = ServerProcess.start(options, site, lab::inside)) {
            Path client = TestUser.INSTANCE.newDirectory(Workspace.INSTANCE.root, "stock-client-");
            List<String> lines = releases.stream().map(release -> " host=" + LAB_HOST + ".local address=127.0.0.1 port="
                    + server.port + " sysinfo=\"" + release + " " + ARCH + "\" version=4.8 certinfo=\""
                    + server.certinfo + "\"").toList();
            String listed = awaitListing(client, output -> lines.stream().allMatch(line -> output.contains(line + "\n")));
            for (String line : lines) {
                assertTrue(listed.contains(line + "\n"), "one instance per release; stap --list-servers=online:\n"
                        + listed + "\nserver log:\n" + server.logText());
            }

            Commands.Result found = command("stap-find-servers", "--all");
            assertEquals(0, found.exitCode(), found.toString());
            for (String release : releases) {
                assertTrue(found.stdout().contains(LAB_HOST + ".local 127.0.0.1 " + server.port + " 'sysinfo=" + release
                        + " " + ARCH + "'\n"), found.stdout());
            }

            String release = releases.get(0);
            Commands.Result trust = stap(client, "--trust-servers=ssl,no-prompt", "--use-server=127.0.0.1:" + server.port);
            assertEquals(0, trust.exitCode(), trust.toString());
            Commands.Result compiled = stap(client, "--use-server", "-r", release, "-p3", "-e", StapClient.HELLO);
            assertEquals(0, compiled.exitCode(), compiled.toString());
            assertTrue(compiled.stdout().contains("Hello World"), compiled.stdout());
            assertTrue(server.logText().contains("for " + release + " " + ARCH), "the request went to this server");

            assertEquals(0, server.stop());
            String after = awaitListing(client, output -> !output.contains("port=" + server.port + " "));
            assertTrue(!after.contains("port=" + server.port + " "), "withdrawn when it stopped:\n" + after);
        }
    }

    /**
     * A reference server (avahi) and a stapfarm server (JmDNS) on one host: the instance names collide and are
     * made unique the avahi way, and stapfarm's commands find both.
     */
    @Test
    void stapfarmsCommandsFindTheReferenceServerBesideAStapfarmOne() throws Exception {
        String release = Releases.first();
        String running = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        int port = 36002;
        Path directory = TestUser.INSTANCE.newDirectory(Workspace.INSTANCE.root, "reference-");
        Path log = directory.resolve("log");
        Process reference = new ProcessBuilder(lab.inside(TestUser.INSTANCE.command(
                List.of("/usr/lib/systemtap/stap-serverd", "--port", Integer.toString(port), "-r", release,
                        "--log", log.toString()),
                Map.of("SYSTEMTAP_DIR", directory.resolve("systemtap").toString()))))
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve("console").toFile())
                .start();
        try (ServerProcess stapfarm = ServerProcess.start(List.of("-r", release), site, lab::inside)) {
            List<String> expected = List.of(
                    LAB_HOST + ".local 127.0.0.1 " + port + " 'sysinfo=" + release + " " + ARCH + "'",
                    LAB_HOST + ".local 127.0.0.1 " + port + " 'sysinfo=" + running + " " + ARCH + "'",
                    LAB_HOST + ".local 127.0.0.1 " + stapfarm.port + " 'sysinfo=" + release + " " + ARCH + "'");
            Commands.Result all = awaitFindServers(output -> expected.stream().allMatch(output::contains));
            assertEquals(0, all.exitCode(), all.toString());
            assertEquals(expected.stream().sorted().toList(), all.stdout().lines().sorted().toList(),
                    "the reference server adds the running kernel: one instance per release, same port\n"
                            + "reference log:\n" + readIfExists(log) + "\nstapfarm log:\n" + stapfarm.logText());

            List<String> names = instanceNames();
            assertEquals(3, Set.copyOf(names).size(), "distinct instance names: " + names);
            for (String name : names) {
                assertTrue(name.matches("Systemtap Compile Server on " + LAB_HOST + "( #[0-9]+)?"), names.toString());
            }
            String stapfarmLog = stapfarm.logText();
            assertTrue(names.stream().anyMatch(name -> stapfarmLog.contains("Advertising '" + name + "' (")),
                    "the log names the instance as it went on the air: " + names + "\n" + stapfarmLog);

            Commands.Result compatible = command("stap-find-servers");
            assertEquals(0, compatible.exitCode(), compatible.toString());
            assertEquals(LAB_HOST + ".local 127.0.0.1 " + port + " 'sysinfo=" + running + " " + ARCH + "'\n",
                    compatible.stdout(), "compatible with this host: its running kernel");

            Commands.Result findOrStart = command("stap-find-or-start-server", "-r", release);
            assertEquals("0\n", findOrStart.stdout(), findOrStart.toString());

            Path certificate = directory.resolve("systemtap/ssl/server/stap.cert");
            Commands.Result authorize = command("stap-authorize-server-cert", certificate.toString());
            assertEquals(0, authorize.exitCode(), authorize.toString());
            Commands.Result compiled = command("stap-client", "-r", release, "-p2", "-e", StapClient.HELLO);
            assertEquals(0, compiled.exitCode(), compiled.toString());
            assertTrue(compiled.stdout().contains(StapClient.HELLO_PASS_2), compiled.stdout());
            assertTrue(readIfExists(log).contains("Options passed from the client: -r" + release + " -p2"),
                    "the trusted one, the reference server, compiled it:\n" + readIfExists(log));
        } finally {
            stop(reference);
        }
    }

    /** The `_stap._tcp` instance names avahi sees in the lab (avahi-browse escapes bytes as `\DDD`, decimal). */
    private static List<String> instanceNames() throws IOException, InterruptedException {
        Commands.Result browsed = Commands.run(lab.inside(List.of("avahi-browse", "--resolve", "--terminate",
                "--parsable", "--no-db-lookup", "_stap._tcp")), COMMAND_TIMEOUT);
        return browsed.stdout().lines().filter(line -> line.startsWith("="))
                .map(line -> unescape(line.split(";")[3])).distinct().toList();
    }

    private static String unescape(String text) {
        Matcher escaped = Pattern.compile("\\\\(\\d{3})").matcher(text);
        StringBuilder plain = new StringBuilder();
        while (escaped.find()) {
            escaped.appendReplacement(plain, Matcher.quoteReplacement(
                    Character.toString((char) Integer.parseInt(escaped.group(1)))));
        }
        return escaped.appendTail(plain).toString();
    }

    /** The stock client's online list, as soon as `expected` holds or at the deadline. */
    private static String awaitListing(Path client, Predicate<String> expected) throws Exception {
        long deadline = System.nanoTime() + ON_THE_AIR.toNanos();
        String listed;
        do {
            listed = stap(client, "--list-servers=online").stderr();
            if (expected.test(listed)) {
                break;
            }
            Thread.sleep(500);
        } while (System.nanoTime() < deadline);
        return listed;
    }

    private static Commands.Result awaitFindServers(Predicate<String> expected) throws Exception {
        long deadline = System.nanoTime() + ON_THE_AIR.toNanos();
        Commands.Result found;
        do {
            found = command("stap-find-servers", "--all");
        } while (!expected.test(found.stdout()) && System.nanoTime() < deadline);
        return found;
    }

    /** The stock client in the lab, as the test user, with its own SYSTEMTAP_DIR under `client`. */
    private static Commands.Result stap(Path client, String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("stap"));
        command.addAll(List.of(arguments));
        return Commands.run(lab.inside(TestUser.INSTANCE.command(command,
                Map.of("SYSTEMTAP_DIR", client.resolve("systemtap").toString()))), COMMAND_TIMEOUT);
    }

    /** A command of the distribution in the lab, as the test user with a home of its own (no node of its own). */
    private static Commands.Result command(String name, String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Workspace.INSTANCE.bin(name).toString()));
        command.addAll(List.of(arguments));
        Map<String, String> environment = new HashMap<>(site);
        environment.put("HOME", home().toString());
        return Commands.run(lab.inside(TestUser.INSTANCE.command(command, environment)), COMMAND_TIMEOUT);
    }

    private static synchronized Path home() throws IOException {
        if (home == null) {
            home = TestUser.INSTANCE.newDirectory(Workspace.INSTANCE.root, "lab-home-");
        }
        return home;
    }

    private static String readIfExists(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file) : "(none)";
    }

    /** SIGTERM to the reference daemon itself (below nsenter, runuser and env), as an init system stops it. */
    private static void stop(Process launcher) throws InterruptedException {
        launcher.descendants().filter(child -> child.info().command().orElse("").endsWith("stap-serverd"))
                .forEach(ProcessHandle::destroy);
        if (!launcher.waitFor(60, TimeUnit.SECONDS)) {
            launcher.descendants().forEach(ProcessHandle::destroyForcibly);
            launcher.destroyForcibly();
            launcher.waitFor();
        }
    }
}
