package org.stapfarm.service;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.stapfarm.protocol.ThisHost;
import org.stapfarm.security.FilePermissions;

/**
 * What the service takes from the machine it runs on, in one place so that tests can supply their own.
 *
 * @param thisHost      host name, running kernel release and architecture
 * @param kernelVersion the running kernel's `uname -v`
 * @param environment   the process environment, for the compile-server client
 * @param uid           the invoking user, which decides the client's certificate databases
 * @param configFile    the global configuration read when `-c` names none
 * @param clock         for the log's time stamps, in the local time zone
 */
record Host(ThisHost thisHost, String kernelVersion, Map<String, String> environment, long uid, Path configFile,
            Clock clock) {

    Host {
        environment = Map.copyOf(environment);
    }

    static Host system() throws IOException {
        return new Host(ThisHost.read(),
                Files.readString(Path.of("/proc/sys/kernel/version"), StandardCharsets.US_ASCII).strip(),
                System.getenv(), FilePermissions.currentUid(), ServiceSettings.DEFAULT_FILE, Clock.systemDefaultZone());
    }

    /** The running kernel as the cache records kernels. */
    KernelIdentity runningKernel() {
        return new KernelIdentity(thisHost.sysInfo().release(), thisHost.sysInfo().arch(), kernelVersion);
    }
}
