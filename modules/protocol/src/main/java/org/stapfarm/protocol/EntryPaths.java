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
        for (String component : path.split("/", -1)) {
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
