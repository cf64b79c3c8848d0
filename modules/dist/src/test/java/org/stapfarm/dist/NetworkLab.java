package org.stapfarm.dist;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A network of its own for DNS-SD tests: new network, mount and UTS namespaces with the loopback interface
 * up and multicasting, a private /run, a system D-Bus and an avahi-daemon on `lo`, set up by the shell
 * helper `dns-sd/lab.sh`. mDNS sent in it never reaches the host's network, and nothing of the host's
 * (its /run, a running avahi) is touched. Commands run inside it through {@link #inside}.
 */
final class NetworkLab implements AutoCloseable {

    private final Process holder;
    private final long pid;

    private NetworkLab(Process holder, long pid) {
        this.holder = holder;
        this.pid = pid;
    }

    /** Why no lab can be made here, if it cannot: namespaces need root, and a kernel and sandbox that allow them. */
    static Optional<String> unavailable() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return Optional.of("network namespaces need root; these tests ran as " + System.getProperty("user.name"));
        }
        try {
            Commands.Result probe = Commands.run(List.of("unshare", "--mount", "--net", "--uts", "true"),
                    Duration.ofSeconds(30));
            return probe.exitCode() == 0 ? Optional.empty()
                    : Optional.of("cannot create network namespaces here (unshare --mount --net --uts: "
                    + probe.stderr().strip() + ")");
        } catch (IOException e) {
            return Optional.of("cannot run unshare: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
    }

    /** Starts the lab with `hostName` as the host name inside, and waits until avahi runs. */
    static NetworkLab start(String hostName) throws IOException {
        Path directory = TestFiles.directory("lab-");
        Path script = TestFiles.copy("dns-sd/lab.sh", directory, "rwxr-xr-x");
        Process holder = new ProcessBuilder("unshare", "--mount", "--net", "--uts", "--propagation", "private",
                "sh", script.toString(), directory.toString(), hostName)
                .redirectError(directory.resolve("lab.err").toFile())
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        String ready = out.readLine();
        if (ready == null || !ready.startsWith("ready ")) {
            holder.destroy();
            throw new IllegalStateException("the DNS-SD lab did not start: " + ready + " "
                    + Files.readString(directory.resolve("lab.err")));
        }
        return new NetworkLab(holder, Long.parseLong(ready.substring("ready ".length()).strip()));
    }

    /** `command` as run inside the lab's namespaces. */
    List<String> inside(List<String> command) {
        List<String> full = new ArrayList<>(List.of("nsenter", "--target", Long.toString(pid), "--mount", "--net",
                "--uts"));
        full.addAll(command);
        return full;
    }

    /** Stops avahi and D-Bus; the namespaces go with the last process in them. */
    @Override
    public void close() throws IOException, InterruptedException {
        holder.getOutputStream().close();
        if (!holder.waitFor(30, TimeUnit.SECONDS)) {
            holder.destroy();
            holder.waitFor();
        }
    }
}
