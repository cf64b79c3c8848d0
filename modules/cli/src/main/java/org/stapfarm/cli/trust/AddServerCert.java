package org.stapfarm.cli.trust;

import java.time.Clock;
import java.util.List;

/** `stap-add-server-cert`: see {@link CertificateAuthorization}. */
public final class AddServerCert {

    private AddServerCert() {
    }

    public static void main(String[] args) {
        System.exit(new CertificateAuthorization(CertificateAuthorization.Tool.ADD_SERVER, System.getenv(), System.out,
                System.err, Clock.systemUTC()).run(List.of(args)));
    }
}
