package org.stapfarm.node.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.stapfarm.protocol.Architectures;

/** The architecture this host builds for, named as clients name it in `sysinfo` (`uname -m`, normalised). */
final class HostArchitecture {

    private HostArchitecture() {
    }

    static String get() {
        try {
            Process uname = new ProcessBuilder("uname", "-m").redirectErrorStream(true).start();
            String machine = new String(uname.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            if (uname.waitFor() != 0 || machine.isEmpty()) {
                throw new IllegalStateException("uname -m failed: " + machine);
            }
            return Architectures.normalize(machine);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run uname -m: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running uname -m", e);
        }
    }
}
