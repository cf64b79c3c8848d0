package org.stapfarm.discovery;

import java.util.ArrayList;
import java.util.List;

/**
 * A domain name as its labels. Kept as labels because a DNS-SD instance name may itself contain dots
 * (`Systemtap Compile Server on vm.example`); compared as DNS compares names, ignoring ASCII case.
 */
record DnsName(List<String> labels) {

    DnsName {
        labels = List.copyOf(labels);
    }

    static DnsName of(String... labels) {
        return new DnsName(List.of(labels));
    }

    /** This name with {@code label} in front, as an instance name sits in front of its service type. */
    DnsName prepend(String label) {
        List<String> longer = new ArrayList<>(labels.size() + 1);
        longer.add(label);
        longer.addAll(labels);
        return new DnsName(longer);
    }

    /** The name without its first label: the service type of an instance name. */
    DnsName parent() {
        return new DnsName(labels.subList(Math.min(1, labels.size()), labels.size()));
    }

    String first() {
        return labels.isEmpty() ? "" : labels.get(0);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof DnsName name && folded().equals(name.folded());
    }

    @Override
    public int hashCode() {
        return folded().hashCode();
    }

    /** The dotted form without the root's trailing dot, e.g. `vm.local`, as clients print host names. */
    @Override
    public String toString() {
        return String.join(".", labels);
    }

    private List<String> folded() {
        return labels.stream().map(DnsName::foldAscii).toList();
    }

    private static String foldAscii(String label) {
        StringBuilder folded = new StringBuilder(label.length());
        label.chars().forEach(c -> folded.append((char) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c)));
        return folded.toString();
    }
}
