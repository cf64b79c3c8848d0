package org.stapfarm.node.server;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.MDC;
import org.stapfarm.node.Logging;

/**
 * The threads of one compile server: named after it, and carrying its log file in their MDC so that
 * whatever they log (the listener, the translator runs) lands in that server's log.
 */
final class ServerThreads {

    private final String serverName;
    private final Map<String, String> mdc;

    ServerThreads(String serverName, Path logFile) {
        this.serverName = serverName;
        this.mdc = logFile == null ? Map.of() : Map.of(Logging.SERVER_LOG, logFile.toAbsolutePath().toString());
    }

    /** The MDC for the server's actors (Behaviors.withMdc). */
    Map<String, String> mdc() {
        return mdc;
    }

    /** Daemon threads named `<server>-<role>-N`. */
    ThreadFactory factory(String role) {
        AtomicInteger counter = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(() -> {
                MDC.setContextMap(mdc);
                task.run();
            }, serverName + "-" + role + "-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
