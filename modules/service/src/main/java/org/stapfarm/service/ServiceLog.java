package org.stapfarm.service;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * `LOG_FILE`: the service's own messages, `Nov 22 02:04:05: message` as `stap-server`'s log has them, and the
 * output of every program it runs, appended as the programs print it. The directory is created and the file
 * opened before a command does anything, so a log that cannot be written stops the command at once with a
 * message rather than halfway (upstream needed the directory to exist and said nothing, spec §5.6 item 59).
 */
final class ServiceLog {

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT);

    private final Path file;
    private final Clock clock;
    private final PrintStream err;

    private ServiceLog(Path file, Clock clock, PrintStream err) {
        this.file = file;
        this.clock = clock;
        this.err = err;
    }

    /** @param err where a log that fails later is reported */
    static ServiceLog open(Path file, Clock clock, PrintStream err) throws IOException {
        Path directory = file.toAbsolutePath().getParent();
        if (directory != null) {
            Files.createDirectories(directory);
        }
        Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND).close();
        return new ServiceLog(file, clock, err);
    }

    Path file() {
        return file;
    }

    /** One message line; a log that stopped working loses it, with a word on standard error. */
    void log(String message) {
        try {
            Files.writeString(file, STAMP.format(LocalDateTime.now(clock)) + ": " + message + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            err.println("systemtap: cannot write the log " + file + ": " + e.getMessage());
        }
    }

    /** A stream that appends raw output to the log, for programs run in this process; close it when done. */
    PrintStream append() throws IOException {
        OutputStream out = new FileOutputStream(file.toFile(), true);
        return new PrintStream(out, true, StandardCharsets.UTF_8);
    }
}
