package org.stapfarm.protocol;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the zip a client sent into a {@link CompileRequest}, or refuses it with a message for the user.
 * The archive is treated as hostile: see {@link ZipArchive} for the container checks; this class checks
 * that the content is a compile-server request (protocol section 2). {@link #encode} is the client's half:
 * it lays out a request as the stock 4.8 client does.
 */
public final class RequestCodec {

    private static final String VERSION = "version";
    private static final String SYSINFO = "sysinfo";
    private static final String LOCALE = "locale";
    private static final String MOK_FINGERPRINTS = "mok_fingerprints";
    private static final Set<String> CONTROL_FILES = Set.of(VERSION, SYSINFO, LOCALE, MOK_FINGERPRINTS);
    private static final Pattern ARGV = Pattern.compile("argv[1-9][0-9]*");
    private static final List<String> USER_TREES = List.of("script/", "tapset/");
    private static final Pattern SYSINFO_LINE = Pattern.compile("sysinfo:\\s+(\\S+)\\s+(\\S+)");
    /** The translator's own check on a client's `-r` (session.cxx): a release name, never a path. */
    private static final Pattern RELEASE = Pattern.compile("[a-z0-9_.+-]+");
    /** The translator's check on `-a`. */
    private static final Pattern ARCH = Pattern.compile("[a-z0-9_-]+");

    private final RequestLimits limits;

    public RequestCodec(RequestLimits limits) {
        this.limits = limits;
    }

    /**
     * The zip a client sends for {@code request}: `version` and `locale` (from protocol 1.6 on), `sysinfo`,
     * `argv1..N`, `mok_fingerprints` when there are any, and the user's files with their directories.
     * {@link CompileRequest#serverMessages()} is not part of a request and is ignored.
     *
     * @throws IllegalArgumentException when a file path is not a plain relative path below `script/` or
     *                                  `tapset/`, appears twice, or is needed both as a file and a directory
     */
    public static byte[] encode(CompileRequest request) {
        checkUserFiles(request.files());
        ZipWriter zip = new ZipWriter();
        boolean versioned = !request.clientVersion().isOlderThan(ProtocolVersion.VERSIONED);
        if (versioned) {
            zip.file(VERSION, request.clientVersion().toString().getBytes(StandardCharsets.US_ASCII));
            zip.file(LOCALE, ClientLocale.encode(request.locale()));
        }
        zip.file(SYSINFO, ("sysinfo: " + request.sysInfo().format()).getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < request.arguments().size(); i++) {
            zip.file("argv" + (i + 1), request.arguments().get(i).getBytes(StandardCharsets.UTF_8));
        }
        if (versioned && !request.mokFingerprints().isEmpty()) {
            zip.file(MOK_FINGERPRINTS, String.join("\n", request.mokFingerprints()).concat("\n")
                    .getBytes(StandardCharsets.US_ASCII));
        }
        for (RequestFile file : request.files()) {
            zip.file(file.path(), file.content());
        }
        return zip.finish();
    }

    private static void checkUserFiles(List<RequestFile> files) {
        Set<String> paths = new HashSet<>();
        Set<String> directories = new HashSet<>();
        for (RequestFile file : files) {
            String problem = EntryPaths.problem(file.path());
            if (problem != null || USER_TREES.stream().noneMatch(file.path()::startsWith)) {
                throw new IllegalArgumentException("request file path " + Text.quote(file.path()) + " is unusable: "
                        + (problem != null ? problem : "it is not below " + USER_TREES));
            }
            if (!paths.add(file.path())) {
                throw new IllegalArgumentException("request file path " + Text.quote(file.path()) + " appears twice");
            }
            directories.addAll(EntryPaths.ancestors(file.path()));
        }
        Optional<String> clash = EntryPaths.clash(paths, directories);
        if (clash.isPresent()) {
            throw new IllegalArgumentException("request file path " + Text.quote(clash.get())
                    + " is needed both as a file and as a directory");
        }
    }

    /**
     * @param zip the request exactly as received after the length prefix
     * @throws RequestRejectedException with a one-line message for the user when the request is refused
     */
    public CompileRequest decode(byte[] zip) throws RequestRejectedException {
        Map<String, byte[]> controlFiles = new HashMap<>();
        List<RequestFile> userFiles = new ArrayList<>();
        List<ZipArchive.Entry> entries;
        try {
            entries = ZipArchive.read(zip, limits, ZipArchive.Side.REQUEST);
        } catch (ZipArchive.InvalidArchiveException e) {
            throw new RequestRejectedException(e.getMessage());
        }
        for (ZipArchive.Entry entry : entries) {
            String name = entry.name();
            if (USER_TREES.stream().anyMatch(name::startsWith)) {
                if (!entry.directory()) {
                    userFiles.add(new RequestFile(name, entry.content()));
                }
            } else if (!entry.directory() && (CONTROL_FILES.contains(name) || ARGV.matcher(name).matches())) {
                controlFiles.put(name, entry.content());
            } else {
                throw new RequestRejectedException("request entry " + Text.quote(name)
                        + " is not part of the compile-server protocol");
            }
        }

        ProtocolVersion clientVersion = clientVersion(controlFiles.get(VERSION));
        SysInfo sysInfo = sysInfo(controlFiles.get(SYSINFO));
        List<String> arguments = arguments(controlFiles);
        List<String> messages = new ArrayList<>();
        Map<String, String> locale = Map.of();
        List<String> mokFingerprints = List.of();
        // Clients before 1.6 sent neither file; the reference server ignores them for such clients.
        if (!clientVersion.isOlderThan(ProtocolVersion.VERSIONED)) {
            locale = ClientLocale.parse(controlFiles.getOrDefault(LOCALE, new byte[0]), messages);
            mokFingerprints = MokFingerprints.parse(controlFiles.getOrDefault(MOK_FINGERPRINTS, new byte[0]), messages);
        }
        return new CompileRequest(clientVersion, sysInfo, arguments, locale, mokFingerprints, userFiles, messages);
    }

    private static ProtocolVersion clientVersion(byte[] content) throws RequestRejectedException {
        if (content == null) {
            return ProtocolVersion.LEGACY;
        }
        String text = utf8(content, VERSION);
        try {
            return ProtocolVersion.parse(text);
        } catch (IllegalArgumentException e) {
            throw new RequestRejectedException("the request's version " + Text.quote(text.strip())
                    + " is not a dotted decimal number");
        }
    }

    private static SysInfo sysInfo(byte[] content) throws RequestRejectedException {
        if (content == null) {
            throw new RequestRejectedException("the request has no sysinfo file");
        }
        String text = utf8(content, SYSINFO).strip();
        Matcher line = SYSINFO_LINE.matcher(text);
        if (!line.matches()) {
            throw new RequestRejectedException("the request's sysinfo " + Text.quote(text)
                    + " is not of the form 'sysinfo: RELEASE ARCH'");
        }
        String release = line.group(1);
        String arch = line.group(2);
        // "." and ".." pass the translator's pattern but would name directories next to a release's.
        if (!RELEASE.matcher(release).matches() || release.equals(".") || release.equals("..")) {
            throw new RequestRejectedException("the requested kernel release " + Text.quote(release)
                    + " is not a release name (letters a-z, digits and _.+- only)");
        }
        if (!ARCH.matcher(arch).matches()) {
            throw new RequestRejectedException("the requested architecture " + Text.quote(arch)
                    + " is not an architecture name (letters a-z, digits and _- only)");
        }
        return new SysInfo(release, arch);
    }

    /**
     * `argv1` up to the first missing number, as the reference server reads them. A later file after the
     * gap would be silently dropped there; here it means a broken request.
     */
    private static List<String> arguments(Map<String, byte[]> controlFiles) throws RequestRejectedException {
        List<String> arguments = new ArrayList<>();
        Set<String> read = new HashSet<>();
        for (String name = "argv1"; controlFiles.containsKey(name); name = "argv" + (arguments.size() + 1)) {
            String argument = utf8(controlFiles.get(name), name);
            if (argument.indexOf('\0') >= 0) {
                throw new RequestRejectedException(name + " contains a NUL character");
            }
            arguments.add(argument);
            read.add(name);
        }
        Optional<String> stray = controlFiles.keySet().stream()
                .filter(name -> ARGV.matcher(name).matches() && !read.contains(name))
                .min(Comparator.comparing(String::length).thenComparing(Comparator.naturalOrder()));
        if (stray.isPresent()) {
            throw new RequestRejectedException("the request has " + stray.get() + " but no argv"
                    + (arguments.size() + 1) + "; argument files must be numbered from 1 without gaps");
        }
        if (arguments.isEmpty()) {
            throw new RequestRejectedException("the request has no arguments (argv1 is missing)");
        }
        return arguments;
    }

    /** Strict UTF-8: a translator argument must reach the translator exactly as the user typed it. */
    private static String utf8(byte[] content, String file) throws RequestRejectedException {
        try {
            return Text.strictUtf8(content, 0, content.length);
        } catch (CharacterCodingException e) {
            throw new RequestRejectedException("the request's " + file + " file is not valid UTF-8");
        }
    }
}
