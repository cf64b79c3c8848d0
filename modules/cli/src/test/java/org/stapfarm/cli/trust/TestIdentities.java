package org.stapfarm.cli.trust;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.stapfarm.security.ServerIdentity;

/** Two server identities with the same subject, as every SystemTap server has; generated once per JVM. */
final class TestIdentities {

    private static ServerIdentity first;
    private static ServerIdentity second;

    private TestIdentities() {
    }

    static synchronized ServerIdentity first() {
        if (first == null) {
            first = ServerIdentity.generate(List.of("first.example"), 2048, Duration.ofDays(30), Instant.now());
        }
        return first;
    }

    static synchronized ServerIdentity second() {
        if (second == null) {
            second = ServerIdentity.generate(List.of("second.example"), 2048, Duration.ofDays(30), Instant.now());
        }
        return second;
    }

    static boolean certutilAvailable() {
        try {
            return new ProcessBuilder("certutil", "-H").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() >= 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
