package org.stapfarm.node;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/** Where a node logs: standard error as conf/logback.xml says, or the file named by `--log`. */
final class Logging {

    /** The reference daemon's line format: a ctime-like stamp, then the message. */
    static final String PATTERN = "%d{EEE MMM d HH:mm:ss yyyy}: %msg%n";

    private Logging() {
    }

    static void toFile(Path logFile) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        FileAppender<ILoggingEvent> file = new FileAppender<>();
        file.setContext(context);
        file.setName("log-file");
        file.setFile(logFile.toString());
        file.setAppend(true);
        file.setEncoder(encoder);
        file.start();
        if (!file.isStarted()) {
            throw new IllegalArgumentException("cannot write the log file " + logFile);
        }
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        root.addAppender(file);
    }
}
