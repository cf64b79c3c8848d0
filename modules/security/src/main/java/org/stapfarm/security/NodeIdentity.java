package org.stapfarm.security;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * What a cluster node presents to its peers: its private key, its certificate, and the certificate of the
 * cluster CA that issued it, which is also the one certificate the node trusts.
 *
 * @throws IllegalArgumentException when {@code authority} did not sign {@code certificate}
 */
public record NodeIdentity(PrivateKey privateKey, X509Certificate certificate, X509Certificate authority) {

    /** GeneralName tags in {@link X509Certificate#getSubjectAlternativeNames()}. */
    private static final int DNS_NAME = 2;
    private static final int IP_ADDRESS = 7;

    public NodeIdentity {
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(authority, "authority");
        try {
            certificate.verify(authority.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the certificate " + certificate.getSubjectX500Principal().getName()
                    + " was not issued by " + authority.getSubjectX500Principal().getName(), e);
        }
    }

    /**
     * The certificate's subjectAltNames as {@code DNS:name} and {@code IP:address}, in order: the names peers
     * may reach this node at with hostname verification on.
     */
    public List<String> subjectAltNames() {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> altNames = certificate.getSubjectAlternativeNames();
            for (List<?> altName : altNames == null ? List.<List<?>>of() : altNames) {
                Object tag = altName.get(0);
                if (tag.equals(DNS_NAME)) {
                    names.add("DNS:" + altName.get(1));
                } else if (tag.equals(IP_ADDRESS)) {
                    names.add("IP:" + altName.get(1));
                }
            }
        } catch (CertificateParsingException e) {
            // The JDK parsed the whole certificate when it was read, extensions included.
            throw new IllegalStateException("cannot read the subjectAltNames of a parsed certificate", e);
        }
        return names;
    }

    /**
     * Whether this is a node's private identity ({@link ClusterCredentials#createPrivate}): nobody holds its
     * CA's key, so no other node can ever be trusted by it or trust it.
     */
    public boolean isPrivate() {
        return ClusterAuthority.isPrivate(authority);
    }

    /** Without the key, which must not end up in a log. */
    @Override
    public String toString() {
        return "NodeIdentity[" + certificate.getSubjectX500Principal().getName() + ", issued by "
                + authority.getSubjectX500Principal().getName() + "]";
    }
}
