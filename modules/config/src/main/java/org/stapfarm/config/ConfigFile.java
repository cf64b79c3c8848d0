package org.stapfarm.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A `VARIABLE=VALUE` configuration file as the manual pages describe it ("not a shell script"): read as
 * data, never executed. Used for the `stap-server` global configuration, its `conf.d/*.conf` files and
 * status files, and the `systemtap` service's configuration (spec §1.7, §1.8, §1.9, §3.3, §5 items 28,
 * 29, 34, 61). Which names mean something, and whether a name is a scalar or a list, is the caller's
 * business; this class only reads the syntax. Rules:
 * <ul>
 * <li>One assignment per line; lines end at LF, and a CR right before the LF is dropped (CRLF files;
 *     upstream kept it in the value, §5 item 28).</li>
 * <li>A last line without a final newline is read like any other (upstream silently ignored it, §5 item 28).</li>
 * <li>Spaces and tabs around the line are removed (§1.7); so are blanks right after the {@code =}.</li>
 * <li>An empty line, or one whose first non-blank character is {@code #}, is skipped (§1.7).</li>
 * <li>There are no trailing comments: {@code #} inside a value is part of it, as upstream reads it (§1.7).</li>
 * <li>A line is {@code NAME=VALUE} or {@code NAME+=VALUE}, NAME a shell name {@code [A-Za-z_][A-Za-z0-9_]*},
 *     nothing around it: {@code X = 1} and {@code export X=1} are errors, as upstream says "Invalid input" (§1.7).</li>
 * <li>A value that starts with {@code '} or {@code "} must end with the same quote, which are both removed
 *     and the rest taken literally, otherwise it is an error (§5 item 29's recommendation; upstream kept them).</li>
 * <li>Nothing else is interpreted: backslashes, {@code $} and {@code ~} are literal (§1.7).</li>
 * <li>Scalar view: the last assignment of a name wins, either operator, and an empty value counts (§1.7, §5 item 28).</li>
 * <li>List view: {@code X=} or an unquoted {@code X=()} clears, {@code X=v} clears and sets [v], {@code X+=v}
 *     appends, {@code X+=} and {@code X+=()} change nothing (§1.8, without the {@code INCLUDE+=} bug of §5 item 29);
 *     a quoted {@code '()'} is the literal element {@code ()}.</li>
 * <li>Unknown names are not an error by themselves; {@link #requireKnown} rejects them for a caller that knows
 *     its names, so that a mistyped name is never ignored silently.</li>
 * <li>A file is read completely or not at all: the first bad line fails the whole file (§1.7).</li>
 * </ul>
 */
public final class ConfigFile {

    /** Thrown for a file that cannot be read or has a malformed line; the message is meant for the user. */
    public static final class ConfigFileException extends Exception {
        public ConfigFileException(String message) {
            super(message);
        }
    }

    /**
     * One line of the file.
     *
     * @param line   1-based line number, for the caller's own messages (e.g. unknown variables)
     * @param name   the variable name
     * @param append true for {@code +=}
     * @param value  the value with blanks and surrounding quotes removed
     * @param quoted whether the value was written in quotes (only then is {@code ()} an ordinary value)
     */
    public record Assignment(int line, String name, boolean append, String value, boolean quoted) {
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final String fileName;
    private final List<Assignment> assignments;
    private final Map<String, String> scalars;
    private final Map<String, List<String>> lists;

    private ConfigFile(String fileName, List<Assignment> assignments) {
        this.fileName = fileName;
        this.assignments = List.copyOf(assignments);
        Map<String, String> scalars = new LinkedHashMap<>();
        Map<String, List<String>> lists = new LinkedHashMap<>();
        for (Assignment assignment : assignments) {
            scalars.put(assignment.name(), assignment.value());
            List<String> list = lists.computeIfAbsent(assignment.name(), name -> new ArrayList<>());
            boolean empty = assignment.value().isEmpty() || (!assignment.quoted() && assignment.value().equals("()"));
            if (!assignment.append()) {
                list.clear();
            }
            if (!empty) {
                list.add(assignment.value());
            }
        }
        lists.replaceAll((name, list) -> List.copyOf(list));
        this.scalars = Collections.unmodifiableMap(scalars);
        this.lists = Collections.unmodifiableMap(lists);
    }

    /** Reads a file as UTF-8; every failure, including a missing file, is a {@link ConfigFileException}. */
    public static ConfigFile parse(Path file) throws ConfigFileException {
        String name = file.toString();
        if (Files.isDirectory(file)) {
            throw new ConfigFileException(name + ": cannot read: is a directory");
        }
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigFileException(name + ": cannot read: no such file");
        } catch (AccessDeniedException e) {
            throw new ConfigFileException(name + ": cannot read: permission denied");
        } catch (CharacterCodingException e) {
            // Decoding leniently would silently change paths in values; refuse instead.
            throw new ConfigFileException(name + ": cannot read: not valid UTF-8 text");
        } catch (IOException e) {
            throw new ConfigFileException(name + ": cannot read: " + e.getMessage());
        }
        return parse(name, text);
    }

    /** Parses {@code text}; {@code fileName} only names the file in messages. */
    public static ConfigFile parse(String fileName, String text) throws ConfigFileException {
        List<Assignment> assignments = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        // A final newline leaves one empty string behind, which is skipped as a blank line like any other.
        for (int index = 0; index < lines.length; index++) {
            String raw = lines[index];
            if (raw.endsWith("\r")) {
                raw = raw.substring(0, raw.length() - 1);
            }
            String line = trimBlanks(raw);
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            assignments.add(assignment(fileName, index + 1, line));
        }
        return new ConfigFile(fileName, assignments);
    }

    private static Assignment assignment(String fileName, int number, String line) throws ConfigFileException {
        int equals = line.indexOf('=');
        if (equals < 0) {
            throw error(fileName, number, "expected VARIABLE=VALUE, found '" + line + "'");
        }
        String name = line.substring(0, equals);
        boolean append = name.endsWith("+");
        if (append) {
            name = name.substring(0, name.length() - 1);
        }
        if (!NAME.matcher(name).matches()) {
            throw error(fileName, number, "invalid variable name '" + name
                    + "' (expected letters, digits and _, not starting with a digit)");
        }
        String value = trimBlanks(line.substring(equals + 1));
        boolean quoted = !value.isEmpty() && (value.charAt(0) == '\'' || value.charAt(0) == '"');
        if (quoted) {
            char quote = value.charAt(0);
            if (value.length() < 2 || value.charAt(value.length() - 1) != quote) {
                throw error(fileName, number, "unbalanced quote: value of " + name + " starts with " + quote
                        + " but does not end with it");
            }
            value = value.substring(1, value.length() - 1);
        }
        return new Assignment(number, name, append, value, quoted);
    }

    private static ConfigFileException error(String fileName, int line, String detail) {
        return new ConfigFileException(fileName + ":" + line + ": " + detail);
    }

    /** Removes spaces and tabs only, as the shell's `read` does; other characters belong to the value. */
    private static String trimBlanks(String text) {
        int start = 0;
        int end = text.length();
        while (start < end && isBlank(text.charAt(start))) {
            start++;
        }
        while (end > start && isBlank(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(start, end);
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }

    /**
     * Fails on the first assignment to a name that is neither in {@code scalars} nor in {@code lists}, and on
     * {@code +=} to a scalar, which would otherwise silently act like {@code =}.
     */
    public void requireKnown(Collection<String> scalars, Collection<String> lists) throws ConfigFileException {
        for (Assignment assignment : assignments) {
            String name = assignment.name();
            if (!scalars.contains(name) && !lists.contains(name)) {
                List<String> known = new ArrayList<>(scalars);
                known.addAll(lists);
                throw invalid(assignment, "unknown variable " + name + " (known: " + String.join(", ", known) + ")");
            }
            if (assignment.append() && !lists.contains(name)) {
                throw invalid(assignment, name + " takes a single value: write " + name + "=, not " + name + "+=");
            }
        }
    }

    /** The last assignment to {@code name}, the one whose value counts. */
    public Optional<Assignment> lastAssignment(String name) {
        Assignment last = null;
        for (Assignment assignment : assignments) {
            if (assignment.name().equals(name)) {
                last = assignment;
            }
        }
        return Optional.ofNullable(last);
    }

    /** An error about the value of {@code assignment}, naming this file and the line. */
    public ConfigFileException invalid(Assignment assignment, String detail) {
        return error(fileName, assignment.line(), detail);
    }

    /** The name given to {@link #parse(String, String)}, or the path given to {@link #parse(Path)}. */
    public String fileName() {
        return fileName;
    }

    /** Every assignment, in file order. */
    public List<Assignment> assignments() {
        return assignments;
    }

    /** Every variable name assigned, in order of first appearance; unknown ones included, for the caller to judge. */
    public Set<String> names() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(scalars.keySet()));
    }

    /** The value of the last assignment to {@code name}, or empty if the file never assigns it. */
    public Optional<String> value(String name) {
        return Optional.ofNullable(scalars.get(name));
    }

    /** {@code name} read as a list (see the class comment); empty if the file never assigns it. */
    public List<String> list(String name) {
        return lists.getOrDefault(name, List.of());
    }
}
