package org.stapfarm.config;

import java.util.List;
import java.util.regex.Pattern;
import org.stapfarm.config.ConfigFile.ConfigFileException;

/**
 * The per-server files of `stap-server`: `CONFIG_PATH/*.conf` (spec §1.8) and the status files of
 * `STAT_PATH` (§1.9). Both have the same variables; status files add `KEEP` and `PROMPT`, which are
 * allowed in configuration files too, so that a configured server can ask for `-k`.
 */
public final class ServerFile {

    private static final List<String> SCALARS = List.of("ARCH", "RUNTIME", "USER", "NICKNAME", "LOG", "PORT", "SSL",
            "MAXTHREADS", "MAXREQSIZE", "MAXCOMPRESSEDREQ", "KEEP", "PROMPT");
    private static final List<String> LISTS = List.of("RELEASE", "INCLUDE", "DEFINE", "BUILD");
    private static final Pattern ALL_DIGITS = Pattern.compile("[0-9]+");

    private ServerFile() {
    }

    /**
     * The server a `conf.d` file describes, as written: nothing is defaulted. A nickname of digits only is
     * refused, because those name server ids (§5 item 17).
     */
    public static ServerSpec readConfiguration(ConfigFile file) throws ConfigFileException {
        ServerSpec spec = read(file);
        if (isIdLike(spec.nickname())) {
            throw file.invalid(file.lastAssignment("NICKNAME").orElseThrow(), "NICKNAME " + spec.nickname()
                    + " has only digits, which is how server ids look; choose a name with a letter in it");
        }
        return spec;
    }

    /**
     * The server a status file records. Its nickname is the server's id when none was given; that one is
     * dropped, so the id never outlives the server as a nickname (a restarted server gets a new id).
     */
    public static ServerSpec readStatus(ConfigFile file) throws ConfigFileException {
        ServerSpec spec = read(file);
        return isIdLike(spec.nickname()) ? spec.withNickname("") : spec;
    }

    /** Whether {@code nickname} has the form reserved for server ids: digits only. */
    public static boolean isIdLike(String nickname) {
        return ALL_DIGITS.matcher(nickname).matches();
    }

    private static ServerSpec read(ConfigFile file) throws ConfigFileException {
        file.requireKnown(SCALARS, LISTS);
        return new ServerSpec(
                scalar(file, "ARCH"), file.list("RELEASE"), file.list("INCLUDE"), file.list("DEFINE"),
                file.list("BUILD"), scalar(file, "RUNTIME"), scalar(file, "USER"), scalar(file, "NICKNAME"),
                scalar(file, "LOG"), scalar(file, "PORT"), scalar(file, "SSL"), scalar(file, "MAXTHREADS"),
                scalar(file, "MAXREQSIZE"), scalar(file, "MAXCOMPRESSEDREQ"), flag(file, "KEEP"), flag(file, "PROMPT"));
    }

    private static String scalar(ConfigFile file, String name) {
        return file.value(name).orElse("");
    }

    private static boolean flag(ConfigFile file, String name) throws ConfigFileException {
        String value = scalar(file, name);
        return switch (value) {
            case "", "no" -> false;
            case "yes" -> true;
            default -> throw file.invalid(file.lastAssignment(name).orElseThrow(),
                    name + " must be yes or no, not '" + value + "'");
        };
    }

    /**
     * The status file of {@code spec}, whose nickname is the server's (its id when none was given): the
     * variables in upstream's order (§1.9), then `KEEP` and `PROMPT`. A value that {@link ConfigFile} would
     * not read back unchanged (surrounding blanks or quotes, a list element `()`) is written in double quotes.
     *
     * @throws IllegalArgumentException for a value with a line break, which no line-based file can hold
     */
    public static String formatStatus(ServerSpec spec) {
        StringBuilder text = new StringBuilder();
        scalar(text, "ARCH", spec.arch());
        scalar(text, "USER", spec.user());
        list(text, "BUILD", spec.buildOptions());
        list(text, "INCLUDE", spec.includes());
        list(text, "DEFINE", spec.defines());
        scalar(text, "NICKNAME", spec.nickname());
        scalar(text, "RUNTIME", spec.runtime());
        list(text, "RELEASE", spec.releases());
        scalar(text, "LOG", spec.log());
        scalar(text, "PORT", spec.port());
        scalar(text, "SSL", spec.ssl());
        scalar(text, "MAXTHREADS", spec.maxThreads());
        scalar(text, "MAXREQSIZE", spec.maxRequestSize());
        scalar(text, "MAXCOMPRESSEDREQ", spec.maxCompressedRequest());
        scalar(text, "KEEP", spec.keepTemporaries() ? "yes" : "no");
        scalar(text, "PROMPT", spec.usePassword() ? "yes" : "no");
        return text.toString();
    }

    private static void scalar(StringBuilder text, String name, String value) {
        text.append(name).append('=').append(quotedIfNeeded(value, false)).append('\n');
    }

    private static void list(StringBuilder text, String name, List<String> values) {
        values.forEach(value -> text.append(name).append("+=").append(quotedIfNeeded(value, true)).append('\n'));
    }

    private static String quotedIfNeeded(String value, boolean listElement) {
        if (value.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("a value with a line break cannot be recorded: " + value);
        }
        boolean needsQuotes = !value.isEmpty() && (value.startsWith("'") || value.startsWith("\"")
                || isBlank(value.charAt(0)) || isBlank(value.charAt(value.length() - 1))
                || value.endsWith("\r") || (listElement && value.equals("()")));
        // Inside quotes ConfigFile takes everything literally, so no character needs escaping.
        return needsQuotes ? '"' + value + '"' : value;
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }
}
