package org.stapfarm.protocol;

import java.util.ArrayList;
import java.util.List;

/**
 * A compile-server protocol version: the SystemTap release number, compared component-wise as unsigned
 * integers (`4.10` is newer than `4.9`; `1.6` is older than `1.6.1`). Anything unversioned is `1.0`.
 */
public record ProtocolVersion(List<Integer> components) implements Comparable<ProtocolVersion> {

    /** What a request or advertisement without a version means. */
    public static final ProtocolVersion LEGACY = new ProtocolVersion(List.of(1, 0));
    /** The first version with `version` and `locale` files; older clients are refused. */
    public static final ProtocolVersion VERSIONED = new ProtocolVersion(List.of(1, 6));

    public ProtocolVersion {
        if (components.isEmpty()) {
            throw new IllegalArgumentException("a version needs at least one component");
        }
        components = List.copyOf(components);
    }

    /**
     * Parses a dotted decimal version. Non-numeric components are refused because the stock client
     * aborts when it has to compare one.
     */
    public static ProtocolVersion parse(String text) {
        String trimmed = text.strip();
        if (!trimmed.matches("[0-9]+(\\.[0-9]+)*")) {
            throw new IllegalArgumentException("not a dotted decimal version: '" + text + "'");
        }
        List<Integer> parts = new ArrayList<>();
        for (String part : trimmed.split("\\.")) {
            try {
                parts.add(Integer.parseInt(part));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("version component out of range: '" + text + "'");
            }
        }
        return new ProtocolVersion(parts);
    }

    @Override
    public int compareTo(ProtocolVersion other) {
        int common = Math.min(components.size(), other.components.size());
        for (int i = 0; i < common; i++) {
            int c = Integer.compare(components.get(i), other.components.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(components.size(), other.components.size());
    }

    public boolean isOlderThan(ProtocolVersion other) {
        return compareTo(other) < 0;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (int part : components) {
            if (text.length() > 0) {
                text.append('.');
            }
            text.append(part);
        }
        return text.toString();
    }
}
