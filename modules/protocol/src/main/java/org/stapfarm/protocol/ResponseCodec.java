package org.stapfarm.protocol;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The response zip: built by the server for the stock client (protocol sections 3.1 and 3.3; the client
 * runs Info-ZIP `unzip` on it, which accepted {@code ZipOutputStream} output in the experiments, vector 12),
 * and read back by our own client with the checks of management-tools section 2.8.
 */
public final class ResponseCodec {

    /** The translator's temporary directory as the client expects it: `stap` plus six characters. */
    private static final String MODULE_DIRECTORY = "stap000000";
    private static final String SIGNING_KEY = "signing_key.x509";
    private static final String VERSION = "version";
    private static final String RC = "rc";
    private static final String STDOUT = "stdout";
    private static final String STDERR = "stderr";
    /** What pre-1.6 servers added at the top for old clients; accepted, not used. */
    private static final String LEGACY_UPROBES = "uprobes.ko";
    private static final Set<String> TOP_LEVEL_FILES = Set.of(VERSION, RC, STDOUT, STDERR, SIGNING_KEY, LEGACY_UPROBES);
    /** Any server's module directory: the stock client accepts `stap` and any six characters. */
    private static final Pattern ANY_MODULE_DIRECTORY = Pattern.compile("(stap[^/]{6})(?:/(.*))?");

    /**
     * What a client accepts from a server. Modules with debug information reach tens of megabytes; the bounds
     * only stop a server from exhausting the client's memory.
     */
    public static final RequestLimits RESPONSE_LIMITS = new RequestLimits(256L << 20, 1L << 30, 100_000);

    /**
     * @throws IllegalArgumentException when a module directory path is not a plain relative path, or two
     *                                  paths collide; the translator never produces such names
     */
    public byte[] encode(ProtocolVersion serverVersion, CompileResult result) {
        Objects.requireNonNull(result.stdout(), "stdout");
        Objects.requireNonNull(result.stderr(), "stderr");
        checkModuleDirectory(result);
        ZipWriter zip = new ZipWriter();
        // First, so that a client reading a damaged response still learns the server's version.
        zip.file(VERSION, serverVersion.toString().getBytes(StandardCharsets.US_ASCII));
        zip.file(RC, Integer.toString(result.rc()).getBytes(StandardCharsets.US_ASCII));
        zip.file(STDOUT, result.stdout());
        zip.file(STDERR, result.stderr());
        zip.directory(MODULE_DIRECTORY);
        for (ResultFile file : result.moduleDirectory()) {
            zip.file(MODULE_DIRECTORY + "/" + file.path(), file.content());
        }
        if (result.signingKey() != null) {
            zip.file(SIGNING_KEY, result.signingKey());
        }
        return zip.finish();
    }

    private static void checkModuleDirectory(CompileResult result) {
        Set<String> files = new HashSet<>();
        Set<String> directories = new HashSet<>();
        for (ResultFile file : result.moduleDirectory()) {
            String problem = EntryPaths.problem(file.path());
            if (problem != null) {
                throw new IllegalArgumentException("module directory path '" + file.path() + "' is unusable: "
                        + problem);
            }
            if (!files.add(file.path())) {
                throw new IllegalArgumentException("module directory path '" + file.path() + "' appears twice");
            }
            directories.addAll(EntryPaths.ancestors(file.path()));
        }
        Optional<String> clash = EntryPaths.clash(files, directories);
        if (clash.isPresent()) {
            throw new IllegalArgumentException("module directory path '" + clash.get()
                    + "' is needed both as a file and as a directory");
        }
    }

    /**
     * Reads a response as a client: a zip that unpacks safely (no absolute or climbing names, no links), with
     * regular files `rc`, `stdout` and `stderr`, at most one `stap??????` directory, and nothing else apart
     * from `version`, `signing_key.x509` and the legacy top-level `uprobes.ko`.
     */
    public ServerResponse decode(byte[] zip) throws ResponseRejectedException {
        List<ZipArchive.Entry> entries;
        try {
            entries = ZipArchive.read(zip, RESPONSE_LIMITS, ZipArchive.Side.RESPONSE);
        } catch (ZipArchive.InvalidArchiveException e) {
            throw new ResponseRejectedException(e.getMessage());
        }
        Map<String, byte[]> files = new HashMap<>();
        Set<String> moduleDirectories = new TreeSet<>();
        List<ResultFile> moduleFiles = new ArrayList<>();
        for (ZipArchive.Entry entry : entries) {
            String name = entry.directory() ? entry.name().substring(0, entry.name().length() - 1) : entry.name();
            Matcher module = ANY_MODULE_DIRECTORY.matcher(name);
            if (module.matches()) {
                moduleDirectories.add(module.group(1));
                if (module.group(2) == null && !entry.directory()) {
                    throw new ResponseRejectedException("the response's " + Text.quote(name) + " is not a directory");
                }
                if (!entry.directory()) {
                    moduleFiles.add(new ResultFile(module.group(2), entry.content()));
                }
            } else if (TOP_LEVEL_FILES.contains(name)) {
                if (entry.directory()) {
                    throw new ResponseRejectedException("the response's " + name + " is not a regular file");
                }
                files.put(name, entry.content());
            } else {
                throw new ResponseRejectedException("the response has an unexpected entry " + Text.quote(entry.name()));
            }
        }
        if (moduleDirectories.size() > 1) {
            throw new ResponseRejectedException("the response has more than one module directory: " + moduleDirectories);
        }
        for (String required : List.of(RC, STDOUT, STDERR)) {
            if (!files.containsKey(required)) {
                throw new ResponseRejectedException("the response has no " + required + " file"
                        + (required.equals(RC) ? " (the server did not run the translator)" : ""));
            }
        }
        return new ServerResponse(serverVersion(files.get(VERSION)), new CompileResult(rc(files.get(RC)),
                files.get(STDOUT), files.get(STDERR), moduleFiles, files.get(SIGNING_KEY)));
    }

    private static ProtocolVersion serverVersion(byte[] content) throws ResponseRejectedException {
        if (content == null) {
            return ProtocolVersion.LEGACY;
        }
        String text = text(content, VERSION);
        try {
            return ProtocolVersion.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ResponseRejectedException("the response's version " + Text.quote(text.strip())
                    + " is not a dotted decimal number");
        }
    }

    private static int rc(byte[] content) throws ResponseRejectedException {
        String text = text(content, RC).strip();
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new ResponseRejectedException("the response's rc " + Text.quote(text) + " is not a number");
        }
    }

    private static String text(byte[] content, String file) throws ResponseRejectedException {
        try {
            return Text.strictUtf8(content, 0, content.length);
        } catch (CharacterCodingException e) {
            throw new ResponseRejectedException("the response's " + file + " file is not text");
        }
    }
}
