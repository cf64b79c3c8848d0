package org.stapfarm.compiler;

import org.stapfarm.protocol.CompileRequest;
import org.stapfarm.protocol.RequestFile;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Identifies a compile by everything its result depends on, as the hex SHA-256 of a canonical encoding
 * (every field tagged and length-prefixed, so no two different inputs encode alike).
 *
 * <p>In: the request's arguments, files, locale and sysinfo; the target and its build tree's stamps; the
 * server options; the translator's identity; the stamps of every server `-I`/`-R` directory. Out: the
 * client version, `Server:` messages and MOK fingerprints, which only affect steps done per request.
 * Stamps are taken anew for each key, so a new header package, translator or tapset gives new keys.
 */
public record CompileKey(String sha256) {

    // Files of a build tree that change whenever the kernel configuration or headers package does.
    private static final List<String> BUILD_TREE_FILES = List.of(".config", "Makefile", "Module.symvers",
            "include/generated/autoconf.h", "include/config/kernel.release");

    public CompileKey {
        Objects.requireNonNull(sha256, "sha256");
    }

    /**
     * @throws IOException if the build tree or the translator cannot be examined (removed, say); the caller
     *                     then compiles without the cache and lets the translator report the problem
     */
    public static CompileKey of(CompileRequest request, BuildTarget target, TranslatorSettings settings,
                                Translator translator) throws IOException {
        MessageDigest digest = newDigest();
        try (DataOutputStream out = new DataOutputStream(new DigestOutputStream(OutputStream.nullOutputStream(), digest))) {
            strings(out, "arguments", request.arguments());
            List<RequestFile> files = new ArrayList<>(request.files());
            files.sort(Comparator.comparing(RequestFile::path));
            out.writeUTF("files");
            out.writeInt(files.size());
            for (RequestFile file : files) {
                string(out, file.path());
                bytes(out, file.content());
            }
            map(out, "locale", new TreeMap<>(request.locale()));
            strings(out, "sysinfo", List.of(request.sysInfo().release(), request.sysInfo().arch()));

            Path tree = target.buildTree().toRealPath();
            strings(out, "target", List.of(target.release(), target.arch(), tree.toString()));
            Map<String, String> treeStamps = new TreeMap<>();
            for (String name : BUILD_TREE_FILES) {
                treeStamps.put(name, FileStamps.of(tree.resolve(name)));
            }
            map(out, "build-tree", treeStamps);

            strings(out, "server-options", settings.serverOptions());
            for (String option : settings.serverOptions()) {
                if ((option.startsWith("-I") || option.startsWith("-R")) && option.length() > 2) {
                    map(out, option, FileStamps.ofTree(Path.of(option.substring(2))));
                }
            }
            strings(out, "translator", List.of(translator.fingerprint()));
        }
        return new CompileKey(HexFormat.of().formatHex(digest.digest()));
    }

    private static void strings(DataOutputStream out, String tag, List<String> values) throws IOException {
        out.writeUTF(tag);
        out.writeInt(values.size());
        for (String value : values) {
            string(out, value);
        }
    }

    private static void map(DataOutputStream out, String tag, Map<String, String> sorted) throws IOException {
        out.writeUTF(tag);
        out.writeInt(sorted.size());
        for (Map.Entry<String, String> entry : sorted.entrySet()) {
            string(out, entry.getKey());
            string(out, entry.getValue());
        }
    }

    private static void string(DataOutputStream out, String value) throws IOException {
        bytes(out, value.getBytes(StandardCharsets.UTF_8));
    }

    private static void bytes(DataOutputStream out, byte[] value) throws IOException {
        out.writeInt(value.length);
        out.write(value);
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
