package org.stapfarm.cli.trust;

import java.time.Clock;
import java.util.List;

/** `stap-authorize-signing-cert`: see {@link CertificateAuthorization}. */
public final class AuthorizeSigningCert {

    private AuthorizeSigningCert() {
    }

    public static void main(String[] args) {
        System.exit(new CertificateAuthorization(CertificateAuthorization.Tool.AUTHORIZE_SIGNER, System.getenv(), System.out,
                System.err, Clock.systemUTC()).run(List.of(args)));
    }
}
