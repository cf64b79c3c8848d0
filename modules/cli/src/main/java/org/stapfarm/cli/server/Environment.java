package org.stapfarm.cli.server;

import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.stapfarm.config.StapServerSettings;
import org.stapfarm.management.NodeEndpoint;
import org.stapfarm.protocol.ThisHost;

/**
 * Everything the commands take from the host, gathered in one place so that tests can supply their own.
 *
 * @param userName         the invoking user's name
 * @param uid              the invoking user's id
 * @param variables        the process environment
 * @param workingDirectory where relative paths on the command line start
 * @param hostArch         `uname -m`, normalised as servers and clients name architectures
 * @param runningRelease   the running kernel's release
 * @param modulesDirectory `/lib/modules`, whose entries `-i` adds
 * @param systemConfigFile `/etc/sysconfig/stap-server`, read when it exists
 * @param systemSettings   the system-wide default locations
 * @param clock            for the management log's time stamps, in the local time zone
 */
public record Environment(String userName, long uid, Map<String, String> variables, Path workingDirectory,
                          String hostArch, String runningRelease, Path modulesDirectory, Path systemConfigFile,
                          StapServerSettings systemSettings, Clock clock) {

    public Environment {
        variables = Map.copyOf(variables);
    }

    /** This process's environment. */
    public static Environment system() {
        UnixSystem unix = new UnixSystem();
        String userName = unix.getUsername() != null ? unix.getUsername() : System.getProperty("user.name");
        ThisHost host;
        try {
            host = ThisHost.read();
        } catch (IOException e) {
            throw new IllegalStateException("cannot tell this host's architecture and kernel: " + e.getMessage(), e);
        }
        return new Environment(userName, unix.getUid(), System.getenv(), Path.of("").toAbsolutePath(),
                host.sysInfo().arch(), host.sysInfo().release(), Path.of("/lib/modules"),
                Path.of("/etc/sysconfig/stap-server"), StapServerSettings.system(), Clock.systemDefaultZone());
    }

    public boolean isRoot() {
        return uid == 0;
    }

    /**
     * The defaults below every configuration file: the system locations for root and for any user who can
     * create or write the system status directory (e.g. the `stap-server` service user); otherwise the
     * user's own, so that an ordinary user can run servers without an administrator.
     */
    public StapServerSettings defaultSettings() {
        if (isRoot() || canWriteOrCreate(systemSettings.statPath())) {
            return systemSettings;
        }
        return StapServerSettings.perUser(NodeEndpoint.systemtapDirectory(variables).resolve("stap-server"));
    }

    private static boolean canWriteOrCreate(Path directory) {
        Path existing = directory.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        return existing != null && Files.isDirectory(existing) && Files.isWritable(existing);
    }

    /** The user a server runs as when neither it nor the command line names one (§1.7). */
    public String defaultUser(StapServerSettings settings) {
        if (!settings.stapUser().isEmpty()) {
            return settings.stapUser();
        }
        String fromEnvironment = variables.getOrDefault("STAP_USER", "");
        return fromEnvironment.isEmpty() ? userName : fromEnvironment;
    }
}
