package org.stapfarm.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The rule for zip entry names in both directions: plain relative paths that stay below the directory
 * they are unpacked into, whatever tool unpacks them.
 */
final class EntryPaths {

    /**
     * Bounds on names: Linux's PATH_MAX and NAME_MAX, and a depth no real file tree reaches. They keep the
     * cost of checking and unpacking a request linear in its size (a name 30,000 directories deep would
     * otherwise cost seconds of checks and overflow a recursive unpacker).
     */
    static final int MAX_LENGTH = 4096;
    static final int MAX_COMPONENT_LENGTH = 255;
    static final int MAX_DEPTH = 128;

    private EntryPaths() {
    }

    /** Why {@code path} is not a plain relative path, or null when it is one. */
    static String problem(String path) {
        if (path.isEmpty()) {
            return "it is empty";
        }
        if (path.startsWith("/")) {
            return "it is absolute";
        }
        if (path.indexOf('\\') >= 0) {
            return "it contains a backslash";
        }
        if (path.indexOf('\0') >= 0) {
            return "it contains a NUL character";
        }
        if (path.length() > MAX_LENGTH) {
            return "it is longer than " + MAX_LENGTH + " characters";
        }
        String[] components = path.split("/", -1);
        if (components.length > MAX_DEPTH) {
            return "it is nested deeper than " + MAX_DEPTH + " directories";
        }
        for (String component : components) {
            if (component.length() > MAX_COMPONENT_LENGTH) {
                return "it has a component longer than " + MAX_COMPONENT_LENGTH + " characters";
            }
            if (component.isEmpty()) {
                return "it has an empty component";
            }
            if (component.equals(".") || component.equals("..")) {
                return "it has a '" + component + "' component";
            }
        }
        return null;
    }

    /** The directories a relative path lies in, outermost first: `a/b/c` gives `a`, `a/b`. */
    static List<String> ancestors(String path) {
        List<String> ancestors = new ArrayList<>();
        for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
            ancestors.add(path.substring(0, slash));
        }
        return ancestors;
    }

    /**
     * A path that cannot be unpacked because it is needed both as a file and as a directory (a file that
     * is also listed as a directory, or anything below a file), if there is one.
     */
    static Optional<String> clash(Set<String> files, Set<String> directories) {
        for (String file : files) {
            if (directories.contains(file) || ancestors(file).stream().anyMatch(files::contains)) {
                return Optional.of(file);
            }
        }
        return directories.stream().filter(d -> ancestors(d).stream().anyMatch(files::contains)).findFirst();
    }
}
