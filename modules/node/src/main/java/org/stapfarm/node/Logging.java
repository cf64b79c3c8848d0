package org.stapfarm.node;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Where a node logs. The node's own messages go to standard error (conf/logback.xml) or to the file given
 * at start; a compile server with its own `--log` gets its messages in that file, as each reference
 * daemon writes its own log. A message belongs to a server when its MDC carries {@link #SERVER_LOG}: the
 * server's actors and threads set it (see server/ServerThreads).
 */
public final class Logging {

    /** MDC key naming the log file of the server a message is about. */
    public static final String SERVER_LOG = "stapfarmServerLog";

    /** The reference daemon's line format: a ctime-like stamp, then the message. */
    static final String PATTERN = "%d{EEE MMM d HH:mm:ss yyyy}: %msg%n";

    private Logging() {
    }

    /**
     * Sends the node's messages to {@code nodeLog} (standard error as configured when null), and each
     * server's to its own file.
     */
    static void configure(Path nodeLog) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        List<Appender<ILoggingEvent>> fallback = new ArrayList<>();
        ServerLogRouter router = new ServerLogRouter(context, fallback);
        if (nodeLog != null) {
            FileAppender<ILoggingEvent> nodeFile = fileAppender(context, nodeLog);
            root.detachAndStopAllAppenders();
            fallback.add(nodeFile);
            // A server logging to the node's own file shares its appender: two would interleave mid-line.
            router.serverFiles.put(nodeLog.toAbsolutePath().toString(), nodeFile);
        } else {
            root.iteratorForAppenders().forEachRemaining(fallback::add);
            root.detachAppender("stderr");
        }
        router.setContext(context);
        router.setName("server-logs");
        router.start();
        root.addAppender(router);
    }

    private static FileAppender<ILoggingEvent> fileAppender(LoggerContext context, Path file) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        FileAppender<ILoggingEvent> appender = new FileAppender<>();
        appender.setContext(context);
        appender.setName("log-file " + file);
        appender.setFile(file.toString());
        appender.setAppend(true);
        appender.setEncoder(encoder);
        appender.start();
        if (!appender.isStarted()) {
            throw new IllegalArgumentException("cannot write the log file " + file);
        }
        return appender;
    }

    /** Appends each event to its server's file, or to the node's appenders when it names none. */
    private static final class ServerLogRouter extends AppenderBase<ILoggingEvent> {

        private final LoggerContext loggerContext;
        private final List<Appender<ILoggingEvent>> fallback;
        private final Map<String, Appender<ILoggingEvent>> serverFiles = new HashMap<>();

        ServerLogRouter(LoggerContext loggerContext, List<Appender<ILoggingEvent>> fallback) {
            this.loggerContext = loggerContext;
            this.fallback = fallback;
        }

        @Override
        protected void append(ILoggingEvent event) {
            String file = event.getMDCPropertyMap().get(SERVER_LOG);
            Appender<ILoggingEvent> serverFile = file == null ? null : serverFile(file);
            if (serverFile != null) {
                serverFile.doAppend(event);
            } else {
                fallback.forEach(appender -> appender.doAppend(event));
            }
        }

        /** AppenderBase.doAppend is synchronized, so the map needs no lock of its own. */
        private Appender<ILoggingEvent> serverFile(String file) {
            return serverFiles.computeIfAbsent(file, name -> {
                try {
                    return fileAppender(loggerContext, Path.of(name));
                } catch (IllegalArgumentException e) {
                    return null;
                }
            });
        }

        @Override
        public void stop() {
            serverFiles.values().forEach(Appender::stop);
            fallback.forEach(Appender::stop);
            super.stop();
        }
    }
}
