package org.stapfarm.service;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.stapfarm.compiler.BuildTargets;
import org.stapfarm.compiler.CompilerSetupException;
import org.stapfarm.service.Runners.RunnerException;
import org.stapfarm.service.Runners.State;
import org.stapfarm.service.StatusFiles.Status;

/**
 * The commands of the service (spec §3.4 to §3.12) over a configuration that has been read and checked in full:
 * by the time a command runs, every file parsed, every `_REQ` names a known script and the graph has no cycle, so a
 * configuration mistake never leaves half the scripts started.
 *
 * <p>Output is upstream's: a heading (`Starting systemtap: `), one ` <Step> <name> ... done|error` per step, and a
 * result, `OK`, `FAILED` (exit 1) at the first failure with `PASSALL=yes`, or `WARNING` (exit 0) after failures with
 * `PASSALL=no`. Why something failed goes to standard error as well as to the log (upstream: log and syslog only).
 * A script whose requirement failed is never started (spec §5.6 item 53).
 */
final class ScriptService {

    static final int OK = 0;
    static final int FAILED = 1;
    static final int NOTHING_RUNNING = 3;
    static final int NOT_INSTALLED = 5;

    /** Ends a command at the first failure when `PASSALL` says so. */
    private static final class Abort extends Exception {
        Abort() {
            super(null, null, false, false);
        }
    }

    private final ServiceSettings settings;
    private final Host host;
    private final String release;
    private final ScriptConfigs configs;
    private final Dependencies dependencies;
    private final Catalogue catalogue;
    private final Cache cache;
    private final StatusFiles status;
    private final Runners runners;
    private final ModuleCompiler compiler;
    private final ServiceLog log;
    private final BufferedReader in;
    private final PrintStream out;
    private final PrintStream err;
    private boolean warned;

    ScriptService(ServiceSettings settings, Host host, String release, ScriptConfigs configs, Catalogue catalogue,
                  Cache cache, ServiceLog log, BufferedReader in, PrintStream out, PrintStream err) {
        this.settings = settings;
        this.host = host;
        this.release = release;
        this.configs = configs;
        this.dependencies = new Dependencies(configs.allRequirements());
        this.catalogue = catalogue;
        this.cache = cache;
        this.status = new StatusFiles(settings.statPath());
        this.runners = new Runners(settings, log, status);
        this.compiler = new ModuleCompiler(settings, host, log);
        this.log = log;
        this.in = in;
        this.out = out;
        this.err = err;
    }

    /** `start`: named scripts, else `DEFAULT_START`, else all; requirements first when recursion is on. */
    int start(List<String> names, boolean recursive) throws IOException {
        List<String> selection = names.isEmpty() ? defaultSelection() : names;
        Optional<Integer> unknown = requireKnown(selection);
        if (unknown.isPresent()) {
            return unknown.get();
        }
        boolean follow = names.isEmpty() || recursive || settings.recursive();
        List<String> order = dependencies.startOrder(follow ? dependencies.withRequirements(selection) : selection);
        try (FileChannel lock = lock()) {
            if (lock == null) {
                return FAILED;
            }
            out.print("Starting systemtap: ");
            if (order.isEmpty()) {
                log.log("No scripts exist.");
            }
            return finish(() -> {
                Set<String> failed = new LinkedHashSet<>();
                for (String name : order) {
                    Optional<String> failedRequirement = dependencies.requirements(name).stream()
                            .filter(failed::contains).findFirst();
                    if (failedRequirement.isPresent()) {
                        failed.add(name);
                        fail(name + " is not started: it requires " + failedRequirement.get() + ", which failed");
                    } else if (!startOne(name)) {
                        failed.add(name);
                    }
                }
            });
        }
    }

    private boolean startOne(String name) throws Abort {
        ScriptOptions options = configs.options(name);
        State state;
        try {
            state = runners.state(name, options.runtime());
        } catch (RunnerException e) {
            fail(name + ": " + e.getMessage());
            return false;
        }
        switch (state) {
            case RUNNING -> {
                return true;
            }
            case FOREIGN -> {
                fail(name + ": a kernel module named " + name + " is loaded, but not by this service");
                return false;
            }
            case DEAD -> removeStale(name);
            case STOPPED -> {
                // Nothing to clean up.
            }
        }
        Optional<Path> module = module(name, options);
        if (module.isEmpty()) {
            return false;
        }
        out.print(" Starting " + name + " ... ");
        try {
            long pid = runners.start(name, options, module.get());
            status.write(new Status(name, pid, options.runtime(), module.get()));
            out.println("done");
            log.log("Started " + name + (pid == 0 ? "" : " as process " + pid));
            return true;
        } catch (RunnerException | IOException e) {
            out.println("error");
            fail("Failed to start " + name + ": " + e.getMessage());
            return false;
        }
    }

    /** The module to start: the cached one when it is valid, else a fresh compile if allowed. */
    private Optional<Path> module(String name, ScriptOptions options) throws Abort {
        Path module = cache.module(name, options.runtime());
        KernelIdentity target = targetKernel();
        if (!catalogue.hasScript(name)) {
            log.log("Warning: no script file(" + catalogue.scriptFile(name) + "). Use compiled cache.");
            Optional<String> reason = cache.invalidity(name, options, Optional.empty(), target);
            if (reason.isPresent()) {
                fail("No valid cache for " + name + ": " + reason.get() + "; there is no script to compile it from");
                return Optional.empty();
            }
            return Optional.of(module);
        }
        Optional<String> reason;
        try {
            reason = cache.invalidity(name, options, Optional.of(Cache.sha256(catalogue.scriptFile(name))), target);
        } catch (IOException e) {
            fail("Cannot read the script of " + name + ": " + e.getMessage());
            return Optional.empty();
        }
        if (reason.isEmpty()) {
            return Optional.of(module);
        }
        log.log("The cache of " + name + " is not valid: " + reason.get());
        if (!settings.autoCompile()) {
            fail("No valid cache for " + name + ": " + reason.get() + " (AUTOCOMPILE is off)");
            return Optional.empty();
        }
        return compileOne(name) ? Optional.of(module) : Optional.empty();
    }

    /**
     * The kernel `start` loads into: the running one, or `KERNEL_RELEASE`'s, whose version its build tree tells
     * when installed.
     */
    private KernelIdentity targetKernel() {
        KernelIdentity running = host.runningKernel();
        if (release.equals(running.release())) {
            return running;
        }
        try {
            return KernelIdentity.ofBuildTree(release, running.machine(),
                    BuildTargets.resolve(release, running.machine(), settings.modulesDir()).buildTree());
        } catch (CompilerSetupException e) {
            return new KernelIdentity(release, running.machine(), "");
        }
    }

    private boolean compileOne(String name) throws Abort {
        out.print(" Compiling " + name + " ... ");
        boolean compiled = compiler.compile(name, catalogue.scriptFile(name), configs.options(name), release, cache);
        out.println(compiled ? "done" : "error");
        if (!compiled) {
            fail("Failed to compile script(" + name + "); the log " + log.file() + " has the translator's output");
        }
        return compiled;
    }

    /**
     * `stop`: named scripts (with their requirements when recursion is on), else every started one. The running
     * scripts that require a stopped one are stopped first (spec §5.6 item 54). Only what this service started is
     * stopped (item 62).
     *
     * @param stopped receives the scripts actually stopped, for restart
     */
    int stop(List<String> names, boolean recursive, Collection<String> stopped) throws IOException {
        SortedSet<String> started = status.names();
        Collection<String> selection = names.isEmpty() ? started
                : recursive || settings.recursive() ? dependencies.withRequirements(names) : names;
        List<String> order = dependencies.stopOrder(dependencies.withDependents(selection, started));
        try (FileChannel lock = lock()) {
            if (lock == null) {
                return FAILED;
            }
            out.print("Stopping systemtap: ");
            return finish(() -> {
                for (String name : order) {
                    stopOne(name, stopped);
                }
            });
        }
    }

    private void stopOne(String name, Collection<String> stopped) throws Abort {
        State state;
        try {
            state = runners.state(name, configs.options(name).runtime());
        } catch (RunnerException e) {
            fail(name + ": " + e.getMessage());
            return;
        }
        switch (state) {
            case STOPPED -> {
                // Nothing to do.
            }
            case DEAD -> removeStale(name);
            case FOREIGN -> fail(name + ": the kernel module " + name + " was not loaded by this service; it is"
                    + " left alone");
            case RUNNING -> {
                out.print(" Stopping " + name + " ... ");
                try {
                    runners.stop(status.read(name).orElseThrow());
                    status.delete(name);
                    out.println("done");
                    log.log("Stopped " + name);
                    stopped.add(name);
                } catch (RunnerException | IOException e) {
                    out.println("error");
                    fail("Failed to stop " + name + ": " + e.getMessage());
                }
            }
        }
    }

    /** `status`: one line per script; 0 when any of them runs, else the code of the last one (spec §3.10). */
    int status(List<String> names) throws IOException {
        Collection<String> listed = names.isEmpty() ? new TreeSet<>(union(catalogue.all(), status.names()))
                : new LinkedHashSet<>(names);
        if (listed.isEmpty()) {
            out.println("No systemtap scripts are present");
            return NOTHING_RUNNING;
        }
        boolean anyRunning = false;
        int last = NOTHING_RUNNING;
        for (String name : listed) {
            State state;
            try {
                state = runners.state(name, configs.options(name).runtime());
            } catch (RunnerException e) {
                err.println("systemtap: " + name + ": " + e.getMessage());
                return FAILED;
            }
            switch (state) {
                case RUNNING -> {
                    long pid = status.read(name).map(Status::pid).orElse(0L);
                    out.println(pid == 0 ? name + " is running..." : name + "(" + pid + ") is running...");
                }
                case DEAD, STOPPED -> out.println(name + " is stopped");
                case FOREIGN -> out.println(name + " is dead, but another script is running.");
            }
            anyRunning |= state == State.RUNNING;
            last = state.code;
        }
        return anyRunning ? OK : last;
    }

    /**
     * `restart`: stops the named scripts, else the running ones, and starts them again with every dependent the
     * stop took down (spec §5.6 item 60: the running set, not the default set). With nothing running and no names,
     * a plain start.
     */
    int restart(List<String> names, boolean recursive) throws IOException {
        SortedSet<String> started = status.names();
        if (names.isEmpty() && started.isEmpty()) {
            return start(names, recursive);
        }
        List<String> selection = names.isEmpty() ? List.copyOf(started) : names;
        List<String> stopped = new ArrayList<>();
        int stop = stop(selection, recursive, stopped);
        if (stop != OK) {
            return stop;
        }
        out.println();
        return start(List.copyOf(union(selection, stopped)), recursive);
    }

    /** `reload`, `force-reload`: applies the configuration, stopping what runs and starting the default set. */
    int reload(List<String> names, boolean recursive) throws IOException {
        if (!names.isEmpty()) {
            return restart(names, recursive);
        }
        int stop = stop(List.of(), recursive, new ArrayList<>());
        if (stop != OK) {
            return stop;
        }
        out.println();
        return start(List.of(), recursive);
    }

    /** `condrestart`, `try-restart`: a restart if any of the scripts runs, else nothing at all. */
    int condrestart(List<String> names, boolean recursive) throws IOException {
        Collection<String> selection = names.isEmpty() ? status.names() : names;
        for (String name : selection) {
            try {
                if (runners.state(name, configs.options(name).runtime()) == State.RUNNING) {
                    return restart(names, recursive);
                }
            } catch (RunnerException e) {
                err.println("systemtap: " + name + ": " + e.getMessage());
                return FAILED;
            }
        }
        return OK;
    }

    /** `compile`: builds the named scripts, else all, for the release, whatever their caches hold (spec §3.11). */
    int compile(List<String> names, boolean yes) throws IOException {
        List<String> selection = List.copyOf(names.isEmpty() ? catalogue.scripts() : new LinkedHashSet<>(names));
        for (String name : selection) {
            if (!catalogue.hasScript(name)) {
                err.println("systemtap: no script file " + catalogue.scriptFile(name));
                return NOT_INSTALLED;
            }
        }
        try (FileChannel lock = lock()) {
            if (lock == null) {
                return FAILED;
            }
            out.print("Compiling systemtap scripts: ");
            List<Path> existing = new ArrayList<>();
            selection.forEach(name -> existing.addAll(cache.files(name)));
            if (!existing.isEmpty() && !confirm("Updating caches: ", existing, yes,
                    "Do you really want to update above caches [y/N]: ")) {
                return OK;
            }
            return finish(() -> {
                for (String name : selection) {
                    compileOne(name);
                }
            });
        }
    }

    /** `cleanup`: removes the caches of the named scripts, else every cache of the release (spec §5.6 item 51). */
    int cleanup(List<String> names, boolean yes) throws IOException {
        try (FileChannel lock = lock()) {
            if (lock == null) {
                return FAILED;
            }
            out.print("Cleaning up systemtap scripts: ");
            if (!Files.isDirectory(cache.directory())) {
                log.log("No cache for " + release + " in " + cache.directory());
                return finish(() -> { });
            }
            Collection<String> selection = names.isEmpty() ? cache.allNames() : new LinkedHashSet<>(names);
            List<Path> files = new ArrayList<>();
            selection.forEach(name -> files.addAll(cache.files(name)));
            if (!files.isEmpty() && !confirm("Removing caches: ", files, yes,
                    "Do you really want to remove above caches [y/N]: ")) {
                return OK;
            }
            return finish(() -> {
                for (String name : selection) {
                    try {
                        cache.remove(name);
                        log.log("Removed the cache of " + name + " for " + release);
                    } catch (IOException e) {
                        fail("Cannot remove the cache of " + name + ": " + e.getMessage());
                    }
                }
            });
        }
    }

    /** A body of per-script steps whose failures go through {@link #fail}. */
    private interface Steps {
        void run() throws Abort;
    }

    /** Runs {@code steps} and prints the result token, which restart prints once for each half. */
    private int finish(Steps steps) {
        warned = false;
        try {
            steps.run();
        } catch (Abort abort) {
            out.println("FAILED");
            return FAILED;
        }
        out.println(warned ? "WARNING" : "OK");
        return OK;
    }

    /** Reports a script's failure; ends the command when `PASSALL` is set, else leaves a warning. */
    private void fail(String message) throws Abort {
        err.println("systemtap: " + message);
        log.log(message);
        if (settings.passAll()) {
            throw new Abort();
        }
        warned = true;
    }

    /**
     * Lists {@code files} and asks (spec §3.11): empty or end of input is no, upstream's yes and no words answer,
     * anything else asks again. {@code -y} answers yes without asking; the list is shown all the same.
     */
    private boolean confirm(String heading, List<Path> files, boolean yes, String question) throws IOException {
        out.println();
        out.println(heading + files.stream().map(Path::toString).collect(Collectors.joining(" ")));
        if (yes) {
            return true;
        }
        while (true) {
            out.print(question);
            out.flush();
            String answer = in.readLine();
            if (answer == null) {
                out.println();
                return false;
            }
            answer = answer.strip();
            if (answer.isEmpty() || ServiceSettings.NO.contains(answer)) {
                return false;
            }
            if (ServiceSettings.YES.contains(answer)) {
                return true;
            }
        }
    }

    /** The service's lock, or null after saying why it cannot be had. */
    private FileChannel lock() {
        try {
            return status.lock();
        } catch (IOException e) {
            err.println("systemtap: cannot use the status directory " + settings.statPath() + ": " + e.getMessage());
            return null;
        }
    }

    private void removeStale(String name) {
        try {
            status.delete(name);
            log.log("Removed the stale status file of " + name);
        } catch (IOException e) {
            log.log("Cannot remove the stale status file of " + name + ": " + e.getMessage());
        }
    }

    private List<String> defaultSelection() {
        return settings.defaultStart().isEmpty() ? List.copyOf(catalogue.all()) : settings.defaultStart();
    }

    /** Exit 5, "not installed", for the first script that is neither a script file nor allowed from the cache. */
    private Optional<Integer> requireKnown(List<String> names) {
        for (String name : names) {
            if (!catalogue.known(name)) {
                err.println("systemtap: no script file " + catalogue.scriptFile(name)
                        + (settings.allowCacheOnly() ? " and no cached module " + cache.module(name,
                        configs.options(name).runtime()) : ""));
                return Optional.of(NOT_INSTALLED);
            }
        }
        return Optional.empty();
    }

    private static Collection<String> union(Collection<String> first, Collection<String> second) {
        Set<String> union = new LinkedHashSet<>(first);
        union.addAll(second);
        return union;
    }
}
