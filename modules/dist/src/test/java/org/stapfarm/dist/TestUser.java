package org.stapfarm.dist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The unprivileged account servers and clients run as in these tests (servers refuse root). The test
 * command (ops/test) creates it; run as root, the tests create it themselves when it is missing. Run as an
 * ordinary user, the tests use that user.
 */
final class TestUser {

    static final TestUser INSTANCE = resolve();

    final String name;
    final Path home;
    private final boolean switchUser;

    private TestUser(String name, Path home, boolean switchUser) {
        this.name = name;
        this.home = home;
        this.switchUser = switchUser;
    }

    private static TestUser resolve() {
        try {
            if (!"root".equals(System.getProperty("user.name"))) {
                return new TestUser(System.getProperty("user.name"), Path.of(System.getProperty("user.home")), false);
            }
            String name = System.getProperty("stapfarm.test.user", "stapfarm-test");
            if (run(List.of("id", name)) != 0
                    && run(List.of("useradd", "--create-home", "--shell", "/bin/sh", name)) != 0) {
                throw new IllegalStateException("cannot create the test user " + name);
            }
            Process getent = new ProcessBuilder("getent", "passwd", name).start();
            String entry = new String(getent.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return new TestUser(name, Path.of(entry.split(":")[5]), true);
        } catch (IOException e) {
            throw new IllegalStateException("cannot set up the test user: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * A user the test creates (as root) as a member of {@code group}, for what depends on group membership
     * such as `stapusr`; {@link #remove()} deletes it again, so the machine's groups are as before.
     */
    static TestUser createMember(String name, String group) throws IOException, InterruptedException {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("only root can create the test user " + name);
        }
        // A user left behind by an interrupted run is replaced, so its groups are exactly these.
        if (run(List.of("id", name)) == 0 && run(List.of("userdel", "--remove", name)) != 0) {
            throw new IOException("cannot remove the old test user " + name);
        }
        if (run(List.of("useradd", "--create-home", "--shell", "/bin/sh", "--groups", group, name)) != 0) {
            throw new IOException("cannot create the test user " + name + " in group " + group);
        }
        return new TestUser(name, Path.of("/home", name), true);
    }

    /** Deletes a user made by {@link #createMember}, with its home directory and its group memberships. */
    void remove() throws IOException, InterruptedException {
        if (run(List.of("userdel", "--remove", name)) != 0) {
            throw new IOException("cannot remove the test user " + name);
        }
    }

    /** The command line that runs `command` as this user with a clean, explicit environment. */
    List<String> command(List<String> command, Map<String, String> extraEnvironment) {
        Map<String, String> environment = new TreeMap<>();
        environment.put("HOME", home.toString());
        environment.put("USER", name);
        environment.put("LOGNAME", name);
        environment.put("PATH", "/usr/local/bin:/usr/bin:/bin");
        environment.put("LANG", "C.UTF-8");
        environment.putAll(extraEnvironment);
        List<String> full = new ArrayList<>();
        if (switchUser) {
            full.addAll(List.of("runuser", "-u", name, "--"));
        }
        full.add("env");
        full.add("-i");
        environment.forEach((key, value) -> full.add(key + "=" + value));
        full.addAll(command);
        return full;
    }

    /** A fresh directory owned by this user, for server keys, logs and client trust databases. */
    /** Makes the test user the owner of everything under {@code tree}, as if the user had written it. */
    void own(Path tree) throws IOException, InterruptedException {
        if (switchUser && run(List.of("chown", "-R", name, tree.toString())) != 0) {
            throw new IOException("cannot chown " + tree + " to " + name);
        }
    }

    Path newDirectory(Path parent, String prefix) throws IOException {
        Path directory = Files.createTempDirectory(parent, prefix);
        if (switchUser) {
            try {
                if (run(List.of("chown", name, directory.toString())) != 0) {
                    throw new IOException("cannot chown " + directory + " to " + name);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
        return directory;
    }

    private static int run(List<String> command) throws IOException, InterruptedException {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start().waitFor();
    }
}
