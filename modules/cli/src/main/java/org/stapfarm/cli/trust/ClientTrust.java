package org.stapfarm.cli.trust;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.stapfarm.security.CertificateDatabasePermissions;
import org.stapfarm.security.TrustDatabase;
import org.stapfarm.security.ServerCertificateTrust;

/**
 * The servers a legacy client trusts: the certificates of its usable certificate databases, tried in the
 * order of management-tools section 2.8: the `--ssl` databases as given (no owner required), then the
 * user's own `~/.systemtap/ssl/client` (not for root; must belong to the user), then the global
 * `/etc/systemtap/ssl/client` (must belong to root). Each database must pass the permission checks of
 * {@link CertificateDatabasePermissions}; one that fails is skipped with a warning. Each is read as
 * {@link TrustDatabase#read} reads it: from stapfarm's Java trust store while that is up to date, else
 * from the NSS files.
 *
 * <p>A server is trusted when any usable database trusts it, so the databases are merged into one
 * decision rather than tried connection by connection as upstream did: the outcome is the same, with one
 * connection per server.
 */
public final class ClientTrust {

    /**
     * A database to consider.
     *
     * @param explicit named with `--ssl`: its absence is worth a warning; a default database is simply
     *                 absent until something is authorised in it
     */
    record Database(Path directory, OptionalLong owner, boolean shared, boolean explicit) {
    }

    private final List<X509Certificate> peers;
    private final List<X509Certificate> authorities;
    private final Clock clock;

    private ClientTrust(List<X509Certificate> peers, List<X509Certificate> authorities, Clock clock) {
        this.peers = List.copyOf(peers);
        this.authorities = List.copyOf(authorities);
        this.clock = clock;
    }

    /**
     * Checks and reads the databases, printing `<program>: WARNING: ...` lines for those it skips; empty
     * when no database is usable.
     */
    public static Optional<ClientTrust> load(List<String> sslDirectories, Map<String, String> environment, long uid,
                                             Path globalDatabase, String program, PrintStream err, Clock clock) {
        List<X509Certificate> peers = new ArrayList<>();
        List<X509Certificate> authorities = new ArrayList<>();
        boolean usable = false;
        for (Database database : databases(sslDirectories, environment, uid, globalDatabase)) {
            String name = "Certificate database '" + database.directory() + "'";
            if (!database.explicit() && !Files.exists(database.directory(), LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try {
                TrustDatabase trust = new TrustDatabase(database.directory(), database.owner(), database.shared());
                boolean errors = false;
                for (CertificateDatabasePermissions.Finding finding : trust.check()) {
                    err.println(program + ": WARNING: " + name + " " + finding.text());
                    errors |= finding.error();
                }
                if (errors) {
                    err.println(program + ": WARNING: Unable to use certificate database '" + database.directory()
                            + "' due to errors");
                    continue;
                }
                TrustDatabase.Trusted trusted = trust.read();
                peers.addAll(trusted.peers());
                authorities.addAll(trusted.authorities());
                usable = true;
            } catch (IOException e) {
                err.println(program + ": WARNING: " + name + " cannot be read: " + e.getMessage());
                err.println(program + ": WARNING: Unable to use certificate database '" + database.directory()
                        + "' due to errors");
            }
        }
        return usable ? Optional.of(new ClientTrust(peers, authorities, clock)) : Optional.empty();
    }

    /**
     * The databases in the order they are consulted.
     *
     * @param globalDatabase {@link TrustLocations#GLOBAL_CLIENT}, unless a test needs another
     */
    static List<Database> databases(List<String> sslDirectories, Map<String, String> environment, long uid,
                                    Path globalDatabase) {
        List<Database> databases = new ArrayList<>();
        for (String directory : sslDirectories) {
            databases.add(new Database(Path.of(directory), OptionalLong.empty(), false, true));
        }
        if (uid != 0) {
            databases.add(new Database(TrustLocations.userClient(environment), OptionalLong.of(uid), false, false));
        }
        databases.add(new Database(globalDatabase, OptionalLong.of(0), true, false));
        return databases;
    }

    /** A fresh decision for one connection. */
    public ServerCertificateTrust forConnection() {
        return new ServerCertificateTrust(peers, authorities, clock);
    }
}
