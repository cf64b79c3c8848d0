package org.stapfarm.cli.server;

import java.io.Closeable;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;
import org.stapfarm.cli.server.NodeAccess.Liveness;
import org.stapfarm.cli.server.NodeAccess.State;
import org.stapfarm.cli.server.Registry.Entry;
import org.stapfarm.config.ConfigFile.ConfigFileException;
import org.stapfarm.config.ServerSpec;
import org.stapfarm.config.StapServerSettings;
import org.stapfarm.management.ChangeReport;
import org.stapfarm.management.ChangeRequest;
import org.stapfarm.management.ManagementException;
import org.stapfarm.management.ServerView;
import org.stapfarm.management.StartRequest;
import org.stapfarm.security.Certificates;
import org.stapfarm.security.FilePermissions;
import org.stapfarm.security.TrustDatabase;

/**
 * The actions of `stap-server` (spec §1.3) for one invocation whose command line and global settings are
 * already read. Every action that changes something holds the registry lock throughout, asks each node for
 * all its changes in one {@link ChangeRequest}, and only then prints, in upstream's order: the stop part, then
 * the start part.
 */
final class ServerActions {

    static final int SUCCESS = 0;
    static final int FAILURE = 1;
    static final int NOT_RUNNING = 3;

    /** `-p` named no recorded server. */
    private static final class NoSuchServerException extends Exception {
        NoSuchServerException(String message) {
            super(message);
        }
    }

    /**
     * What the command line selects (§1.6), resolved after the configuration is loaded (§5 item 2).
     *
     * @param recorded        the recorded server selected by `-p` or `-n`, if any
     * @param spec            the server described: the selected one with the command line laid over it, defaulted
     * @param unknownNickname `-n` named neither a recorded nor a configured server
     */
    private record Selection(Optional<Entry> recorded, ServerSpec spec, boolean unknownNickname) {
    }

    /** One server to stop; {@code entry} is null when the server described does not run. */
    private static final class StopTask {
        final ServerSpec shown;
        final Entry entry;
        final Liveness liveness;
        String error = "";

        StopTask(ServerSpec shown, Entry entry, Liveness liveness) {
            this.shown = shown;
            this.entry = entry;
            this.liveness = liveness;
        }
    }

    /** One server to start: to be started, refused with {@code error}, or neither because it already runs. */
    private static final class StartTask {
        final ServerSpec spec;
        boolean toStart;
        String error = "";

        StartTask(ServerSpec spec) {
            this.spec = spec;
        }
    }

    /** Whether each part of a change failed somewhere, for the actions that weigh them differently (§1.11). */
    private record Outcome(boolean stopFailed, boolean startFailed) {
        int code() {
            return stopFailed || startFailed ? FAILURE : SUCCESS;
        }
    }

    private final Environment environment;
    private final StapServerSettings settings;
    private final ServerCommandLine commandLine;
    private final NodeAccess nodes;
    private final Registry registry;
    private final ManagementLog log;
    private final PrintStream out;
    private final PrintStream err;
    private List<ServerSpec> configured;
    private boolean printed;

    ServerActions(Environment environment, StapServerSettings settings, ServerCommandLine commandLine,
                  NodeAccess nodes, PrintStream out, PrintStream err) {
        this.environment = environment;
        this.settings = settings;
        this.commandLine = commandLine;
        this.nodes = nodes;
        this.registry = new Registry(settings.statPath());
        this.log = new ManagementLog(settings.logFile(), environment.clock(), err);
        this.out = out;
        this.err = err;
    }

    /** Runs {@code action}, one of the actions other than `reload`, and returns the exit code. */
    int run(String action) {
        try {
            if (action.equals("status")) {
                return status(registry.entries());
            }
            // Every file is read before anything is locked or changed, so a mistake in one changes nothing.
            if (needsConfiguredServers(action)) {
                configured();
            }
            try (Closeable lock = registry.lock()) {
                List<Entry> entries = registry.entries();
                int code = switch (action) {
                    case "start" -> start(entries);
                    case "stop" -> stop(entries);
                    case "restart" -> restart(entries);
                    case "condrestart", "try-restart" -> conditionalRestart(entries);
                    case "force-reload" -> forceReload(entries);
                    default -> throw new IllegalArgumentException("not an action: " + action);
                };
                out.print("\n");
                return code;
            }
        } catch (NoSuchServerException e) {
            out.println(e.getMessage());
            return FAILURE;
        } catch (ConfigFileException e) {
            err.println("stap-server: " + e.getMessage());
            return FAILURE;
        } catch (IOException e) {
            err.println("stap-server: " + e.getMessage());
            return FAILURE;
        }
    }

    private boolean needsConfiguredServers(String action) {
        return commandLine.nickname().isPresent()
                || (!commandLine.describesServer() && Set.of("start", "restart", "force-reload").contains(action));
    }

    private List<ServerSpec> configured() throws ConfigFileException {
        if (configured == null) {
            configured = Configuration.servers(settings.configPath());
        }
        return configured;
    }

    // ---- the actions ----

    private int status(List<Entry> entries) throws ConfigFileException {
        StatusReport report = new StatusReport(nodes, commandLine.json(), out, err);
        if (!commandLine.describesServer()) {
            if (entries.isEmpty()) {
                return report.nothing("No managed stap-server is running", NOT_RUNNING);
            }
            return report.servers(entries, true);
        }
        // Ids and nicknames are unique on a host only: a selection is looked for among this host's servers.
        Selection selection;
        try {
            selection = select(entries);
        } catch (NoSuchServerException e) {
            return report.nothing(e.getMessage(), FAILURE);
        }
        if (selection.recorded().isPresent()) {
            return report.servers(List.of(selection.recorded().get()), false);
        }
        if (selection.unknownNickname()) {
            return report.nothing(unknownNickname(), NOT_RUNNING);
        }
        List<Entry> matches = matching(entries, selection.spec());
        if (matches.isEmpty()) {
            return report.nothing("stap-server " + ServerOpts.of(selection.spec()) + " is not running", NOT_RUNNING);
        }
        return report.servers(matches, false);
    }

    private int start(List<Entry> entries) throws NoSuchServerException, ConfigFileException {
        return change(entries, List.of(), startSet(entries)).code();
    }

    private int stop(List<Entry> entries) throws NoSuchServerException, ConfigFileException {
        if (!commandLine.describesServer()) {
            return change(entries, stopAllTasks(entries), List.of()).code();
        }
        Selection selection = select(entries);
        if (selection.unknownNickname()) {
            item(unknownNickname() + "\n");
            log.log(unknownNickname());
            result(false);
            return FAILURE;
        }
        return change(entries, stopsFor(selection, entries), List.of()).code();
    }

    private int restart(List<Entry> entries) throws NoSuchServerException, ConfigFileException {
        if (commandLine.describesServer()) {
            Selection selection = select(entries);
            return change(entries, stopsFor(selection, entries), List.of(selection.spec())).code();
        }
        if (entries.isEmpty()) {
            nothingToStop();
            return change(entries, List.of(), startSet(entries)).code();
        }
        return change(entries, stopping(entries), restarted(entries, Set.of(State.RUNNING, State.DEAD))).code();
    }

    /** Restarts what runs; a server that does not run is left alone (§1.3). */
    private int conditionalRestart(List<Entry> entries) throws NoSuchServerException, ConfigFileException {
        if (!commandLine.describesServer()) {
            if (entries.isEmpty()) {
                item("No managed stap-server is running");
                log.log("No managed stap-server is running");
                result(true);
                return SUCCESS;
            }
            List<Entry> notDead = new ArrayList<>();
            for (Entry entry : entries) {
                if (liveness(entry).state() == State.DEAD) {
                    notRunning(entry.shown());
                } else {
                    notDead.add(entry);
                }
            }
            return change(entries, stopping(notDead), restarted(notDead, Set.of(State.RUNNING))).code();
        }
        Selection selection = select(entries);
        List<Entry> targets = selection.recorded().map(List::of).orElseGet(() -> matching(entries, selection.spec()));
        List<Entry> notDead = targets.stream().filter(entry -> liveness(entry).state() != State.DEAD).toList();
        if (notDead.isEmpty()) {
            notRunning(selection.recorded().map(Entry::shown).orElse(selection.spec()));
            // Removes the status file of a selected server that died, as every changing action does.
            return change(entries, List.of(), List.of()).code();
        }
        return change(entries, stopping(notDead), List.of(selection.spec())).code();
    }

    /** Stops everything, then starts what the configuration (or the command line) says now (§1.3). */
    private int forceReload(List<Entry> entries) throws NoSuchServerException, ConfigFileException {
        List<ServerSpec> starts = startSet(entries);
        Outcome outcome = change(entries, stopAllTasks(entries), starts);
        return outcome.startFailed() ? FAILURE : SUCCESS;
    }

    // ---- what the actions act on ----

    /** The servers `start` starts: the one described, else the configured ones, else the default server. */
    private List<ServerSpec> startSet(List<Entry> entries) throws NoSuchServerException, ConfigFileException {
        if (commandLine.describesServer()) {
            return List.of(select(entries).spec());
        }
        List<ServerSpec> starts = new ArrayList<>();
        for (ServerSpec spec : configured()) {
            starts.add(described(spec));
        }
        return starts.isEmpty() ? List.of(described(ServerSpec.empty())) : starts;
    }

    private Selection select(List<Entry> entries) throws NoSuchServerException, ConfigFileException {
        if (commandLine.id().isPresent()) {
            String id = commandLine.id().get();
            Entry entry = entries.stream().filter(candidate -> Long.toString(candidate.id()).equals(id)).findFirst()
                    .orElseThrow(() -> new NoSuchServerException("No stap-server running as pid " + id));
            return new Selection(Optional.of(entry), described(entry.spec()), false);
        }
        if (commandLine.nickname().isPresent()) {
            String nickname = commandLine.nickname().get();
            // A running server first: after a crash, a dead record may still carry the nickname.
            Optional<Entry> recorded = entries.stream().filter(entry -> entry.spec().nickname().equals(nickname))
                    .min(Comparator.comparing(entry -> liveness(entry).state()));
            if (recorded.isPresent()) {
                return new Selection(recorded, described(recorded.get().spec()), false);
            }
            Optional<ServerSpec> configuredServer = configured().stream()
                    .filter(spec -> spec.nickname().equals(nickname)).findFirst();
            return configuredServer
                    .map(spec -> new Selection(Optional.empty(), described(spec), false))
                    .orElseGet(() -> new Selection(Optional.empty(),
                            described(ServerSpec.empty().withNickname(nickname)), true));
        }
        return new Selection(Optional.empty(), described(ServerSpec.empty()), false);
    }

    /** {@code base} with the command line laid over it and defaulted, the same way for every server (§5 item 15). */
    private ServerSpec described(ServerSpec base) {
        return base.overriddenBy(commandLine.server()).withDefaults(environment.hostArch(),
                List.of(environment.runningRelease()), environment.defaultUser(settings),
                settings.logFile().toString());
    }

    private static List<Entry> matching(List<Entry> entries, ServerSpec spec) {
        return entries.stream().filter(entry -> entry.spec().describesSameServerAs(spec)).toList();
    }

    /**
     * The recorded servers in one of the {@code wanted} states, to be started again after they are stopped.
     * One whose state is unknown never is: it may still run.
     */
    private List<ServerSpec> restarted(List<Entry> entries, Set<State> wanted) {
        return entries.stream().filter(entry -> wanted.contains(liveness(entry).state()))
                .map(entry -> described(entry.spec())).toList();
    }

    private List<StopTask> stopsFor(Selection selection, List<Entry> entries) {
        List<Entry> targets = selection.recorded().map(List::of).orElseGet(() -> matching(entries, selection.spec()));
        if (targets.isEmpty()) {
            return List.of(new StopTask(selection.spec(), null, Liveness.DEAD));
        }
        return stopping(targets);
    }

    private List<StopTask> stopping(List<Entry> entries) {
        return entries.stream().map(entry -> new StopTask(entry.shown(), entry, liveness(entry))).toList();
    }

    private List<StopTask> stopAllTasks(List<Entry> entries) {
        if (entries.isEmpty()) {
            nothingToStop();
        }
        return stopping(entries);
    }

    private Liveness liveness(Entry entry) {
        return nodes.liveness(entry.spec().user(), entry.id());
    }

    // ---- carrying out a change ----

    /**
     * Stops {@code stops}, then starts {@code starts}: one change request per node, so that a node whose servers
     * are all restarted does not exit in between. The status files of servers found dead are removed here, in
     * changing actions only (§5 item 27).
     */
    private Outcome change(List<Entry> entries, List<StopTask> stops, List<ServerSpec> starts) {
        Set<Long> stopping = stops.stream().filter(task -> task.entry != null)
                .map(task -> task.entry.id()).collect(Collectors.toSet());
        List<Entry> remaining = new ArrayList<>();
        for (Entry entry : entries) {
            State state = liveness(entry).state();
            if (state == State.DEAD) {
                removeDead(entry);
            } else if (state == State.UNKNOWN || !stopping.contains(entry.id())) {
                remaining.add(entry);
            }
        }
        List<StartTask> startTasks = plan(starts, remaining);
        send(stops, startTasks);
        boolean stopFailed = false;
        for (StopTask task : stops) {
            stopFailed |= !reportStop(task);
        }
        boolean startFailed = false;
        for (StartTask task : startTasks) {
            startFailed |= !reportStart(task);
        }
        return new Outcome(stopFailed, startFailed);
    }

    /**
     * Decides, before any node is asked, which starts are refused, which servers already run (§1.10) and
     * which nicknames are taken (§5 item 17); {@code remaining} are the servers that run on after the stops.
     */
    private List<StartTask> plan(List<ServerSpec> starts, List<Entry> remaining) {
        List<StartTask> tasks = new ArrayList<>();
        List<ServerSpec> accepted = new ArrayList<>();
        for (ServerSpec spec : starts) {
            StartTask task = new StartTask(spec);
            tasks.add(task);
            Optional<String> refusal = nodes.refusal(spec.user());
            Optional<Entry> nicknameHolder = spec.nickname().isEmpty() ? Optional.empty() : remaining.stream()
                    .filter(entry -> entry.spec().nickname().equals(spec.nickname())).findFirst();
            List<Entry> twins = remaining.stream().filter(entry -> entry.spec().describesSameServerAs(spec)).toList();
            Optional<Entry> unknownTwin = twins.stream()
                    .filter(entry -> liveness(entry).state() == State.UNKNOWN).findFirst();
            boolean alreadyRunning = twins.stream().anyMatch(entry -> liveness(entry).state() == State.RUNNING)
                    || accepted.stream().anyMatch(other -> other.describesSameServerAs(spec));
            if (refusal.isPresent()) {
                task.error = refusal.get();
            } else if (alreadyRunning) {
                continue;
            } else if (unknownTwin.isPresent()) {
                task.error = "server " + unknownTwin.get().id() + " with these options may still run ("
                        + liveness(unknownTwin.get()).reason() + ")";
            } else if (nicknameHolder.isPresent()) {
                task.error = "the nickname " + spec.nickname() + " belongs to server " + nicknameHolder.get().id()
                        + ", which runs with other options; use restart -n " + spec.nickname()
                        + " to change them, or choose another nickname";
            } else if (!spec.nickname().isEmpty()
                    && accepted.stream().anyMatch(other -> other.nickname().equals(spec.nickname()))) {
                task.error = "the nickname " + spec.nickname() + " is given to two different servers";
            } else {
                task.toStart = true;
                accepted.add(spec);
            }
        }
        return tasks;
    }

    /** Asks each node for its part, then records what happened in the registry. */
    private void send(List<StopTask> stops, List<StartTask> starts) {
        Map<String, List<StopTask>> stopsByUser = new LinkedHashMap<>();
        for (StopTask task : stops) {
            if (task.entry != null && task.liveness.state() == State.RUNNING) {
                stopsByUser.computeIfAbsent(task.entry.spec().user(), user -> new ArrayList<>()).add(task);
            }
        }
        Map<String, List<StartTask>> startsByUser = new LinkedHashMap<>();
        for (StartTask task : starts) {
            if (task.toStart) {
                startsByUser.computeIfAbsent(task.spec.user(), user -> new ArrayList<>()).add(task);
            }
        }
        Set<String> users = new LinkedHashSet<>(stopsByUser.keySet());
        users.addAll(startsByUser.keySet());
        for (String user : users) {
            List<StopTask> userStops = stopsByUser.getOrDefault(user, List.of());
            List<StartTask> userStarts = startsByUser.getOrDefault(user, List.of());
            ChangeRequest request = new ChangeRequest(
                    userStops.stream().map(task -> task.entry.id()).toList(),
                    userStarts.stream().map(task -> new StartRequest(task.spec.daemonArguments(), task.spec.nickname()))
                            .toList());
            ChangeReport report;
            try {
                report = nodes.change(user, request, settings.logFile());
            } catch (ManagementException e) {
                userStops.forEach(task -> task.error = e.getMessage());
                userStarts.forEach(task -> task.error = e.getMessage());
                continue;
            }
            for (int index = 0; index < userStops.size(); index++) {
                StopTask task = userStops.get(index);
                task.error = index < report.stopped().size()
                        ? report.stopped().get(index).error() : NodeAccess.UNREPORTED;
                if (task.error.isEmpty()) {
                    task.error = removeStopped(task.entry);
                }
            }
            for (int index = 0; index < userStarts.size(); index++) {
                StartTask task = userStarts.get(index);
                ChangeReport.Started started = index < report.started().size() ? report.started().get(index) : null;
                task.error = started == null ? NodeAccess.UNREPORTED : started.error();
                if (task.error.isEmpty()) {
                    task.error = record(user, started.server(), task.spec);
                }
                if (task.error.isEmpty() && environment.isRoot()) {
                    settings.trustPath().ifPresent(database -> trustForEveryone(started.server(), database));
                }
            }
        }
    }

    /** Records a started server; when that fails it is stopped again, since nothing could find it later. */
    private String record(String user, ServerView server, ServerSpec spec) {
        try {
            registry.write(server.id(), spec.withNickname(server.nickname()));
            return "";
        } catch (IOException e) {
            String problem = "cannot write its status file in " + registry.directory() + ": " + IoErrors.describe(e);
            String stopProblem;
            try {
                stopProblem = nodes.stop(user, server.id(), settings.logFile()).error();
            } catch (ManagementException stopFailure) {
                stopProblem = stopFailure.getMessage();
            }
            return problem + (stopProblem.isEmpty() ? "; it was stopped again" : "; server " + server.id()
                    + " runs unrecorded (" + stopProblem + "): stop it with stap-stop-server " + server.id());
        }
    }

    /**
     * Servers root starts are the host's (the system service): every user of the host trusts them through the
     * all-users client database (`TRUST_PATH`), as root's `stap --trust-servers=ssl,all-users` would make them
     * trusted. A failure is reported, but the server runs.
     */
    private void trustForEveryone(ServerView server, Path database) {
        try {
            X509Certificate certificate = Certificates.decode(Base64.getDecoder().decode(server.certificate()));
            // Owned by whoever writes it here, root, since every user relies on it.
            new TrustDatabase(database, OptionalLong.of(FilePermissions.currentUid()), true).trust(certificate);
            log.log("Server " + server.id() + " (certificate " + server.certinfo() + ") is trusted by every user"
                    + " of this host: " + database);
        } catch (IOException | CertificateException | IllegalArgumentException e) {
            String problem = "server " + server.id() + " is not trusted by every user of this host (" + database
                    + "): " + e.getMessage();
            err.println("stap-server: " + problem);
            log.log("Error: " + problem);
        }
    }

    private String removeStopped(Entry entry) {
        try {
            registry.remove(entry);
            return "";
        } catch (IOException e) {
            return "it stopped, but its status file " + entry.file() + " could not be removed: "
                    + IoErrors.describe(e);
        }
    }

    private void removeDead(Entry entry) {
        try {
            registry.remove(entry);
            log.log("Removed the status file " + entry.file() + " of server " + entry.id()
                    + ", which is no longer running");
        } catch (IOException e) {
            err.println("stap-server: cannot remove the status file " + entry.file() + " of server " + entry.id()
                    + ", which is no longer running: " + IoErrors.describe(e));
        }
    }

    // ---- output (§1.10) and the management log (§1.16) ----

    private boolean reportStop(StopTask task) {
        String opts = ServerOpts.of(task.shown);
        item("Stopping stap-server " + opts + "\n");
        log.log("Stopping stap-server " + opts);
        String error = task.liveness.state() == State.UNKNOWN ? task.liveness.reason() : task.error;
        if (error.isEmpty()) {
            log.log("Pass: stap-server stop " + opts);
        } else {
            String id = task.entry == null ? "" : " " + task.entry.id();
            err.println("stap-server: cannot stop server" + id + ": " + error);
            log.log("Error: stap-server stop " + opts);
            log.log("Error: " + error);
        }
        result(error.isEmpty());
        return error.isEmpty();
    }

    private boolean reportStart(StartTask task) {
        String opts = ServerOpts.of(task.spec);
        item("Starting stap-server " + opts + "\n");
        log.log("Starting stap-server " + opts);
        if (task.error.isEmpty()) {
            log.log("Pass: stap-server start " + opts);
        } else {
            err.println(StapStartServerCommand.FAILURE_PREFIX + task.error);
            log.log("Error: stap-server start " + opts);
            log.log("Error: " + task.error);
        }
        result(task.error.isEmpty());
        return task.error.isEmpty();
    }

    private void nothingToStop() {
        item("Stopping stap-server: ");
        log.log("Stopping stap-server: ");
        log.log("Pass: stap-server: No managed servers to stop");
        result(true);
    }

    private void notRunning(ServerSpec spec) {
        String message = "stap-server " + ServerOpts.of(spec) + " is not running";
        item(message + "\n");
        log.log(message);
        log.log("Pass: " + message);
        result(true);
    }

    private String unknownNickname() {
        return "No configuration found for the nickname '" + commandLine.nickname().orElseThrow() + "'";
    }

    /** Starts a message; every message after the first is separated from the one before by a newline. */
    private void item(String text) {
        if (printed) {
            out.print("\n");
        }
        out.print(text);
        printed = true;
    }

    private void result(boolean ok) {
        out.print(ok ? "OK" : "FAILED");
    }
}
