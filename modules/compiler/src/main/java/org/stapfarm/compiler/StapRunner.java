package org.stapfarm.compiler;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stapfarm.protocol.CompileRequest;
import org.stapfarm.protocol.CompileResult;
import org.stapfarm.protocol.PathRewriter;
import org.stapfarm.protocol.RequestFile;
import org.stapfarm.protocol.ResultFile;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Runs the SystemTap translator for one request at a time per calling thread, any number of threads at
 * once: each run gets its own private directory, resource limits, a wall-clock limit and its own kill.
 */
public final class StapRunner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StapRunner.class);
    // The translator exits when TMPDIR holds anything else (session.cxx), and TMPDIR is a directory
    // under the temporary root.
    private static final Pattern TRANSLATOR_SAFE_PATH = Pattern.compile("[-/._0-9a-z]+");
    private static final int SIGNAL_BASE = 128;
    private static final int SIGXCPU = 24;
    private static final int SIGXFSZ = 25;
    private static final int HIGHEST_SIGNAL = 64;
    private static final File DEV_NULL = new File("/dev/null");

    private final TranslatorSettings settings;
    private final Path temporaryRoot;
    private final Set<Run> running = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /** A translator process and whether the server, rather than the process, ended it. */
    private static final class Run {
        final Process process;
        volatile boolean cancelled;

        Run(Process process) {
            this.process = process;
        }

        void cancel() {
            cancelled = true;
            ProcessTree.kill(process.toHandle());
        }
    }

    /**
     * @throws CompilerSetupException if the temporary root is missing or its real path has characters the
     *                                translator refuses in `TMPDIR`
     */
    public StapRunner(TranslatorSettings settings) throws CompilerSetupException {
        this.settings = settings;
        try {
            // The real path, so the paths the translator prints are the ones we rewrite to <server>.
            this.temporaryRoot = settings.temporaryRoot().toRealPath();
        } catch (IOException e) {
            throw new CompilerSetupException("temporary directory " + settings.temporaryRoot()
                    + " is not usable: " + e.getMessage(), e);
        }
        if (!Files.isDirectory(temporaryRoot) || !TRANSLATOR_SAFE_PATH.matcher(temporaryRoot.toString()).matches()) {
            throw new CompilerSetupException("temporary directory " + temporaryRoot
                    + " must be a directory whose path has only a-z, 0-9 and '-/._' (the translator refuses others)");
        }
    }

    /**
     * Runs the translator for {@code request} against {@code target} and reads its results. Never throws
     * for a problem with the request or the run: those come back as a refusal the client can print.
     * The result's stderr is the translator's own; the caller puts its `Server:` lines in front.
     */
    public CompileResult compile(CompileRequest request, BuildTarget target) {
        if (closed) {
            return CompileResult.refused("the server is shutting down");
        }
        RequestWorkspace workspace;
        try {
            workspace = RequestWorkspace.create(temporaryRoot);
        } catch (IOException e) {
            LOG.error("Cannot create a request directory under {}: {}", temporaryRoot, e.toString());
            return CompileResult.refused("the server could not create a directory for the compile");
        }
        try {
            for (RequestFile file : request.files()) {
                workspace.write(file);
            }
            return run(request, target, workspace);
        } catch (InvalidPathException e) {
            return CompileResult.refused("the request names an invalid file '" + printable(e.getInput()) + "'");
        } catch (IOException e) {
            LOG.error("Compile in {} failed: {}", workspace.root(), e.toString());
            return CompileResult.refused("the server could not handle the files of the compile");
        } finally {
            if (settings.keepTemporaryDirectories()) {
                LOG.info("Keeping temporary directory {}", workspace.root());
            } else {
                workspace.delete();
            }
        }
    }

    /**
     * Kills every translator still running, for node shutdown: their requests are refused as cancelled.
     * Requests arriving later still run; {@link #close()} refuses those too.
     */
    public void cancelAll() {
        running.forEach(Run::cancel);
    }

    /** Refuses new requests and kills running ones, so no translator outlives the node. */
    @Override
    public void close() {
        closed = true;
        cancelAll();
    }

    private CompileResult run(CompileRequest request, BuildTarget target, RequestWorkspace workspace)
            throws IOException {
        List<String> command = command(request, target, workspace);
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workspace.requestDirectory().toFile())
                .redirectInput(DEV_NULL)
                // Files, not pipes: no reader thread, no deadlock on huge output, and the file-size
                // limit stops a flood.
                .redirectOutput(ProcessBuilder.Redirect.to(workspace.stdout().toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(workspace.stderr().toFile()));
        builder.environment().clear();
        builder.environment().putAll(environment(request, workspace));
        LOG.debug("Running {} in {}", command, workspace.requestDirectory());

        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            LOG.error("Cannot start {}: {}", command, e.toString());
            return CompileResult.refused("the server could not start the translator");
        }
        Run run = new Run(process);
        running.add(run);
        try {
            // Checked after registering, so a close() racing with this start cannot miss the process.
            if (closed) {
                run.cancel();
            }
            if (!process.waitFor(settings.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                ProcessTree.kill(process.toHandle());
                return CompileResult.refused("the compile exceeded the time limit of "
                        + settings.timeout().toSeconds() + " seconds");
            }
        } catch (InterruptedException e) {
            ProcessTree.kill(process.toHandle());
            Thread.currentThread().interrupt();
            return CompileResult.refused("the compile was interrupted");
        } finally {
            running.remove(run);
        }
        if (run.cancelled) {
            return CompileResult.refused("the compile was cancelled because the server is shutting down");
        }
        return result(process.exitValue(), workspace);
    }

    private List<String> command(CompileRequest request, BuildTarget target, RequestWorkspace workspace) {
        List<String> command = new ArrayList<>(settings.limits().commandPrefix());
        command.add(settings.executable().toString());
        command.add("-r" + target.translatorReleaseArgument());
        command.addAll(settings.serverOptions());
        command.add("--tmpdir=" + workspace.moduleDirectory());
        command.add("--client-options");
        command.addAll(request.arguments());
        return command;
    }

    private Map<String, String> environment(CompileRequest request, RequestWorkspace workspace) {
        Map<String, String> environment = new HashMap<>(settings.environment());
        environment.putAll(request.locale());
        // Scratch files of the translator and gcc then live, and die, with the request.
        environment.put("TMPDIR", workspace.root().toString());
        return environment;
    }

    /**
     * Interprets the exit status. Java reports death by signal N as 128+N, which cannot be told apart
     * from a plain exit with that status; the translator only exits with 0 or 1, so we take it as a
     * signal. When a limit we set killed the run, only the refusal is returned: the output is cut off
     * and may be the flood that hit the limit. Any other signal (a crash, the OOM killer) keeps what the
     * translator printed before it died, because that shows where it died, and adds a `Server:` line at
     * the end, where it belongs in time.
     */
    private CompileResult result(int status, RequestWorkspace workspace) throws IOException {
        ResourceLimits limits = settings.limits();
        if (status == SIGNAL_BASE + SIGXCPU) {
            return CompileResult.refused("the compile exceeded the CPU time limit"
                    + (limits.cpuSeconds() > 0 ? " of " + limits.cpuSeconds() + " seconds per process" : ""));
        }
        if (status == SIGNAL_BASE + SIGXFSZ) {
            return CompileResult.refused("the compile exceeded the file size limit"
                    + (limits.fileSizeBytes() > 0 ? " of " + limits.fileSizeBytes() + " bytes" : ""));
        }
        boolean killed = status > SIGNAL_BASE && status <= SIGNAL_BASE + HIGHEST_SIGNAL;
        ResultReader reader = new ResultReader(settings.maxResultBytes());
        PathRewriter rewriter = new PathRewriter(List.of(workspace.responseDirectory().toString(),
                settings.environment().getOrDefault("HOME", "")));
        try {
            byte[] stdout = rewriter.rewrite(reader.read(workspace.stdout()));
            byte[] stderr = rewriter.rewrite(reader.read(workspace.stderr()));
            if (killed) {
                LOG.warn("The translator in {} was killed by signal {}", workspace.root(), status - SIGNAL_BASE);
                return new CompileResult(1, stdout, append(stderr, "Server: the translator was killed by signal "
                        + (status - SIGNAL_BASE) + "\n"), List.of(), null);
            }
            List<ResultFile> files = reader.readTree(workspace.moduleDirectory());
            return new CompileResult(status, stdout, stderr, files, null);
        } catch (ResultReader.TooLarge e) {
            return CompileResult.refused("the result is larger than the limit of " + settings.maxResultBytes()
                    + " bytes");
        }
    }

    private static byte[] append(byte[] text, String line) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length + line.length());
        out.writeBytes(text);
        if (text.length > 0 && text[text.length - 1] != '\n') {
            out.write('\n');
        }
        out.writeBytes(line.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static String printable(String text) {
        return text.replaceAll("\\p{Cntrl}", "?");
    }
}
