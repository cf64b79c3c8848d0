package org.stapfarm.cli.trust;

import java.time.Clock;
import java.util.List;

/** `stap-authorize-server-cert`: see {@link CertificateAuthorization}. */
public final class AuthorizeServerCert {

    private AuthorizeServerCert() {
    }

    public static void main(String[] args) {
        System.exit(new CertificateAuthorization(CertificateAuthorization.Tool.AUTHORIZE_SERVER, System.getenv(), System.out,
                System.err, Clock.systemUTC()).run(List.of(args)));
    }
}
