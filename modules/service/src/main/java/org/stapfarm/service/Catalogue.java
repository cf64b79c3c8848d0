package org.stapfarm.service;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The scripts the service knows (spec §3.4): every `SCRIPT_PATH/<name>.stp` with a valid name and, with
 * `ALLOW_CACHEONLY`, every module in the release's cache that has no script ("cache-only"). Files with invalid
 * names are logged and left out, as upstream did.
 */
final class Catalogue {

    private static final String SUFFIX = ".stp";

    private final Path scriptPath;
    private final SortedSet<String> scripts;
    private final SortedSet<String> cacheOnly;

    private Catalogue(Path scriptPath, SortedSet<String> scripts, SortedSet<String> cacheOnly) {
        this.scriptPath = scriptPath;
        this.scripts = scripts;
        this.cacheOnly = cacheOnly;
    }

    static Catalogue load(ServiceSettings settings, Cache cache, ServiceLog log) throws IOException {
        SortedSet<String> scripts = new TreeSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(settings.scriptPath(), "*" + SUFFIX)) {
            for (Path entry : entries) {
                String file = entry.getFileName().toString();
                String name = file.substring(0, file.length() - SUFFIX.length());
                if (!Files.isRegularFile(entry)) {
                    continue;
                }
                if (ScriptName.isValid(name)) {
                    scripts.add(name);
                } else {
                    log.log(ScriptName.invalid(name));
                }
            }
        } catch (NoSuchFileException e) {
            // No script directory: no scripts.
        }
        SortedSet<String> cacheOnly = new TreeSet<>();
        if (settings.allowCacheOnly()) {
            cacheOnly.addAll(cache.moduleNames());
            cacheOnly.removeAll(scripts);
        }
        return new Catalogue(settings.scriptPath(), scripts, cacheOnly);
    }

    Path scriptFile(String name) {
        return scriptPath.resolve(name + SUFFIX);
    }

    boolean hasScript(String name) {
        return scripts.contains(name);
    }

    boolean known(String name) {
        return scripts.contains(name) || cacheOnly.contains(name);
    }

    /** The scripts with a script file. */
    SortedSet<String> scripts() {
        return scripts;
    }

    /** Every known script, cache-only ones included. */
    SortedSet<String> all() {
        SortedSet<String> all = new TreeSet<>(scripts);
        all.addAll(cacheOnly);
        return all;
    }
}
