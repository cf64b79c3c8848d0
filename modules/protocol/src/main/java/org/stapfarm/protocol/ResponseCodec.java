package org.stapfarm.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Builds the response zip for the stock client (protocol sections 3.1 and 3.3). The client runs Info-ZIP
 * `unzip` on it, which accepted {@code ZipOutputStream} output in the experiments (vector 12).
 */
public final class ResponseCodec {

    /** The translator's temporary directory as the client expects it: `stap` plus six characters. */
    private static final String MODULE_DIRECTORY = "stap000000/";
    private static final String SIGNING_KEY = "signing_key.x509";

    /**
     * @throws IllegalArgumentException when a module directory path is not a plain relative path, or two
     *                                  paths collide; the translator never produces such names
     */
    public byte[] encode(ProtocolVersion serverVersion, CompileResult result) {
        Objects.requireNonNull(result.stdout(), "stdout");
        Objects.requireNonNull(result.stderr(), "stderr");
        checkModuleDirectory(result);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            // First, so that a client reading a damaged response still learns the server's version.
            file(zip, "version", serverVersion.toString().getBytes(StandardCharsets.US_ASCII));
            file(zip, "rc", Integer.toString(result.rc()).getBytes(StandardCharsets.US_ASCII));
            file(zip, "stdout", result.stdout());
            file(zip, "stderr", result.stderr());
            directory(zip, MODULE_DIRECTORY);
            Set<String> written = new HashSet<>();
            for (ResultFile file : result.moduleDirectory()) {
                for (String directory : EntryPaths.ancestors(file.path())) {
                    if (written.add(directory)) {
                        directory(zip, MODULE_DIRECTORY + directory + "/");
                    }
                }
                file(zip, MODULE_DIRECTORY + file.path(), file.content());
            }
            if (result.signingKey() != null) {
                file(zip, SIGNING_KEY, result.signingKey());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
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

    private static void directory(ZipOutputStream zip, String name) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.closeEntry();
    }

    private static void file(ZipOutputStream zip, String name, byte[] content) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(content);
        zip.closeEntry();
    }
}
