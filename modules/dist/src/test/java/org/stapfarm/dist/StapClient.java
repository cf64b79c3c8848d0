package org.stapfarm.dist;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The stock `stap` client of Debian's systemtap package, run as the test user with its own SYSTEMTAP_DIR,
 * so each test class starts with an empty client trust database.
 */
final class StapClient {

    /** SystemTap's hello world, and what pass 2 prints for it. */
    static final String HELLO = "probe begin { printf(\"Hello World!\\n\"); exit() }";
    static final String HELLO_PASS_2 = "# functions\nexit:unknown ()\n# probes\nbegin /* <- begin */\n";

    record Result(int exitCode, String stdout, String stderr) {
    }

    /** Output readers: one thread each, so a client's output is always drained whatever the pool sizes. */
    private static final ExecutorService READERS = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "stap-client-output");
        thread.setDaemon(true);
        return thread;
    });

    final TestUser user;
    final Path systemtapDirectory;
    final Path workingDirectory;

    private StapClient(TestUser user, Path systemtapDirectory, Path workingDirectory) {
        this.user = user;
        this.systemtapDirectory = systemtapDirectory;
        this.workingDirectory = workingDirectory;
    }

    static StapClient create() throws IOException {
        return create(TestUser.INSTANCE);
    }

    /** A client run by {@code user}, with a working directory and SystemTap directory of its own. */
    static StapClient create(TestUser user) throws IOException {
        Path directory = user.newDirectory(Workspace.INSTANCE.root, "client-");
        return new StapClient(user, directory.resolve("systemtap"), directory);
    }

    Result run(String... arguments) throws IOException, InterruptedException {
        return run(Map.of(), List.of(arguments));
    }

    Result run(Map<String, String> environment, List<String> arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("stap"));
        command.addAll(arguments);
        Map<String, String> full = new HashMap<>(environment);
        full.putIfAbsent("SYSTEMTAP_DIR", systemtapDirectory.toString());
        Process process = new ProcessBuilder(user.command(command, full))
                .directory(workingDirectory.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> read(process.getInputStream()), READERS);
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()), READERS);
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException("stap " + arguments + " did not finish within 5 minutes");
        }
        return new Result(process.exitValue(), stdout.join(), stderr.join());
    }

    /** A new client that already trusts `server`. */
    static StapClient trusting(ServerProcess server) throws IOException, InterruptedException {
        StapClient client = create();
        Result trust = client.trust(server);
        if (trust.exitCode() != 0) {
            throw new IllegalStateException("stap --trust-servers failed: " + trust.stderr());
        }
        return client;
    }

    /** Trusts the server for this client, as an administrator would once per user. */
    Result trust(ServerProcess server) throws IOException, InterruptedException {
        return trust(server.address());
    }

    /** Trusts the server at `host:port` for this client. */
    Result trust(String address) throws IOException, InterruptedException {
        return run("--trust-servers=ssl,no-prompt", "--use-server=" + address);
    }

    private static String read(InputStream stream) {
        try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
