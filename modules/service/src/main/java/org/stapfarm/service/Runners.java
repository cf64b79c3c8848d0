package org.stapfarm.service;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.stapfarm.service.ScriptOptions.Runtime;
import org.stapfarm.service.StatusFiles.Status;

/**
 * Loading, stopping and watching modules through the configured programs (`STAPRUN`, `STAPBPF`, `LSMOD`; spec
 * §3.8, §3.9), which tests replace with stand-ins. Kernel modules: `staprun <start options> -L module` loads the
 * module, starts its probes and detaches, the output staying in the module's buffers (memory flight recorder);
 * with `-o`, `staprun ... -D module` runs a background reader writing the file (file flight recorder) and prints
 * its pid. BPF modules: `stapbpf` has no background mode, so the service starts it in a session of its own
 * (`setsid`), its output going to the `-o` file or else to the log. Everything a program prints otherwise goes
 * to the log.
 */
final class Runners {

    /** The running state of a script (spec §3.8), with the code `status` exits with for it. */
    enum State {
        RUNNING(0), DEAD(1), STOPPED(3), FOREIGN(4);

        final int code;

        State(int code) {
            this.code = code;
        }
    }

    /** A runner failed for one script; the message says how. */
    static final class RunnerException extends Exception {
        RunnerException(String message) {
            super(message);
        }
    }

    private static final Duration LOAD_TIMEOUT = Duration.ofSeconds(60);
    /** Upstream waited this long for the pid of a `-D` reader. */
    private static final Duration PID_TIMEOUT = Duration.ofSeconds(10);
    /** A BPF program that cannot be loaded makes stapbpf exit at once; one still running after this has started. */
    private static final Duration BPF_SETTLE = Duration.ofSeconds(1);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);
    /** Upstream's final version: up to 10 `staprun -d`, 1 s apart. */
    private static final int REMOVE_ATTEMPTS = 10;
    private static final Duration REMOVE_INTERVAL = Duration.ofSeconds(1);
    private static final File ROOT = new File("/");
    private static final File NULL = new File("/dev/null");

    private final ServiceSettings settings;
    private final ServiceLog log;
    private final StatusFiles status;
    private Set<String> loaded;

    Runners(ServiceSettings settings, ServiceLog log, StatusFiles status) {
        this.settings = settings;
        this.log = log;
        this.status = status;
    }

    /**
     * Running: a status file, and the module loaded (`staprun -L`) or the process it names alive and running that
     * very module. Dead: a status file and neither. Foreign: a kernel module of the script's name loaded without a
     * status file, i.e. not by this service. Stopped: none of these.
     *
     * @param configured the runtime the script is configured for, which decides whether a foreign kernel module
     *                   is possible
     */
    State state(String name, Runtime configured) throws RunnerException {
        if (status.exists(name)) {
            Optional<Status> started = status.read(name);
            if (started.isEmpty()) {
                return State.DEAD;
            }
            boolean alive = started.get().pid() == 0 ? loadedModules().contains(name) : isOurs(started.get());
            return alive ? State.RUNNING : State.DEAD;
        }
        return configured == Runtime.KERNEL && loadedModules().contains(name) ? State.FOREIGN : State.STOPPED;
    }

    /** Starts {@code module}; the pid the status file keeps (0 for a module left loaded by `staprun -L`). */
    long start(String name, ScriptOptions options, Path module) throws RunnerException {
        return options.runtime() == Runtime.BPF ? startBpf(options, module) : startKernel(name, options, module);
    }

    private long startKernel(String name, ScriptOptions options, Path module) throws RunnerException {
        List<String> command = new ArrayList<>(List.of(settings.staprun()));
        command.addAll(options.startOptions());
        command.add(options.fileMode() ? "-D" : "-L");
        command.add(module.toString());
        log.log("Running " + Words.join(command));
        Path pidFile = null;
        try {
            if (!options.fileMode()) {
                requireSuccess(runToEnd(command, ProcessBuilder.Redirect.appendTo(log.file().toFile()), LOAD_TIMEOUT),
                        name);
                return 0;
            }
            // A file, not a pipe: the -D reader inherits standard output and keeps it open.
            pidFile = temporaryFile("start.", ".pid");
            requireSuccess(runToEnd(command, ProcessBuilder.Redirect.to(pidFile.toFile()), LOAD_TIMEOUT), name);
            return awaitPid(pidFile);
        } catch (IOException e) {
            throw new RunnerException("cannot run " + settings.staprun() + ": " + e.getMessage());
        } finally {
            if (pidFile != null) {
                pidFile.toFile().delete();
            }
        }
    }

    private void requireSuccess(int status, String name) throws RunnerException {
        if (status != 0) {
            throw new RunnerException(settings.staprun() + " exited with status " + status + " for " + name);
        }
    }

    /** The pid the -D reader printed, waiting for it as upstream did; 0 when none came. */
    private static long awaitPid(Path pidFile) throws IOException {
        long deadline = System.nanoTime() + PID_TIMEOUT.toNanos();
        while (true) {
            String text = Files.readString(pidFile, StandardCharsets.UTF_8).strip();
            if (!text.isEmpty()) {
                try {
                    return Long.parseLong(text.split("\\s+")[0]);
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
            if (System.nanoTime() > deadline) {
                return 0;
            }
            sleep(POLL_INTERVAL);
        }
    }

    private long startBpf(ScriptOptions options, Path module) throws RunnerException {
        List<String> command = new ArrayList<>(List.of("setsid", settings.stapbpf()));
        command.addAll(options.startOptions());
        command.add(module.toString());
        log.log("Running " + Words.join(command));
        try {
            Process process = new ProcessBuilder(command).directory(ROOT)
                    .redirectInput(NULL)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.file().toFile()))
                    .redirectError(ProcessBuilder.Redirect.appendTo(log.file().toFile()))
                    .start();
            if (process.waitFor(BPF_SETTLE.toMillis(), TimeUnit.MILLISECONDS) && process.exitValue() != 0) {
                throw new RunnerException(settings.stapbpf() + " exited with status " + process.exitValue());
            }
            return process.pid();
        } catch (IOException e) {
            throw new RunnerException("cannot run " + settings.stapbpf() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RunnerException("interrupted while starting " + settings.stapbpf());
        }
    }

    /**
     * Stops what {@code started} names: its process with SIGTERM, or the module with `staprun -d`. A process that
     * is no longer ours (gone, or the pid reused) is left alone.
     */
    void stop(Status started) throws RunnerException {
        if (started.pid() != 0) {
            Optional<ProcessHandle> process = ProcessHandle.of(started.pid());
            if (process.isEmpty() || !isOurs(started)) {
                return;
            }
            log.log("Sending SIGTERM to process " + started.pid() + " of " + started.name());
            process.get().destroy();
            // Polled rather than ProcessHandle.onExit(): that backs off to seconds for a process that is not our
            // child, and counts an exited process that nobody has reaped yet as alive.
            long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
            while (isOurs(started)) {
                if (System.nanoTime() > deadline) {
                    throw new RunnerException("process " + started.pid() + " of " + started.name()
                            + " did not end within " + STOP_TIMEOUT.toSeconds() + " seconds of SIGTERM");
                }
                sleep(POLL_INTERVAL);
            }
            return;
        }
        List<String> command = List.of(settings.staprun(), "-d", started.name());
        for (int attempt = 1; attempt <= REMOVE_ATTEMPTS; attempt++) {
            log.log("Running " + Words.join(command));
            try {
                runToEnd(command, ProcessBuilder.Redirect.appendTo(log.file().toFile()), LOAD_TIMEOUT);
            } catch (IOException e) {
                throw new RunnerException("cannot run " + settings.staprun() + ": " + e.getMessage());
            }
            loaded = null;
            if (!loadedModules().contains(started.name())) {
                return;
            }
            if (attempt < REMOVE_ATTEMPTS) {
                sleep(REMOVE_INTERVAL);
            }
        }
        throw new RunnerException("Failed to stop script \"" + started.name() + "\" after " + REMOVE_ATTEMPTS
                + " attempts");
    }

    /** The loaded kernel modules, by `LSMOD`'s first column; asked once per command unless a stop changed them. */
    private Set<String> loadedModules() throws RunnerException {
        if (loaded != null) {
            return loaded;
        }
        Path listing = null;
        try {
            listing = temporaryFile("lsmod.", ".txt");
            int status = runToEnd(List.of(settings.lsmod()), ProcessBuilder.Redirect.to(listing.toFile()),
                    LOAD_TIMEOUT);
            if (status != 0) {
                throw new RunnerException(settings.lsmod() + " exited with status " + status);
            }
            Set<String> modules = new HashSet<>();
            for (String line : Files.readAllLines(listing, StandardCharsets.UTF_8)) {
                String[] columns = line.strip().split("\\s+");
                if (!columns[0].isEmpty() && !line.startsWith("Module ")) {
                    modules.add(columns[0]);
                }
            }
            loaded = modules;
            return modules;
        } catch (IOException e) {
            throw new RunnerException("cannot run " + settings.lsmod() + ": " + e.getMessage());
        } finally {
            if (listing != null) {
                listing.toFile().delete();
            }
        }
    }

    /**
     * Whether the process of {@code started} is alive and runs its module: a reused pid is someone else's, and an
     * exited process that is not reaped yet has an empty command line.
     */
    private static boolean isOurs(Status started) {
        try {
            byte[] commandLine = Files.readAllBytes(Path.of("/proc", Long.toString(started.pid()), "cmdline"));
            for (String argument : new String(commandLine, StandardCharsets.UTF_8).split("\0")) {
                if (argument.equals(started.module().toString())) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    private Path temporaryFile(String prefix, String suffix) throws IOException {
        Files.createDirectories(settings.tempPath());
        return Files.createTempFile(settings.tempPath(), prefix, suffix);
    }

    /** Runs {@code command} with its standard error in the log; its exit status. */
    private int runToEnd(List<String> command, ProcessBuilder.Redirect output, Duration timeout)
            throws IOException, RunnerException {
        Process process = new ProcessBuilder(command).directory(ROOT)
                .redirectInput(NULL)
                .redirectOutput(output)
                .redirectError(ProcessBuilder.Redirect.appendTo(log.file().toFile()))
                .start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new RunnerException(command.get(0) + " did not finish within " + timeout.toSeconds()
                        + " seconds");
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new RunnerException("interrupted while running " + command.get(0));
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
