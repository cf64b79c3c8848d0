package org.stapfarm.cli.server;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The management messages `stap-server` appends to `LOG_FILE` (spec §1.16), `Nov  1 22:05:25: message`. The
 * directory is created on the first message, so only actions that change something create it (§5 item 1). A
 * log that cannot be written is reported once and does not stop the action.
 */
final class ManagementLog {

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT);

    private final Path file;
    private final Clock clock;
    private final PrintStream err;
    private boolean failed;

    ManagementLog(Path file, Clock clock, PrintStream err) {
        this.file = file;
        this.clock = clock;
        this.err = err;
    }

    void log(String message) {
        if (failed) {
            return;
        }
        String line = STAMP.format(LocalDateTime.now(clock)) + ": " + message + "\n";
        try {
            Path directory = file.toAbsolutePath().getParent();
            if (directory != null) {
                Files.createDirectories(directory);
            }
            Files.writeString(file, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            failed = true;
            err.println("stap-server: cannot write the log " + file + ": " + e.getMessage());
        }
    }
}
