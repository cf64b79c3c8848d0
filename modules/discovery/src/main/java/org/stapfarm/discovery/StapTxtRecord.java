package org.stapfarm.discovery;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The TXT record of one `_stap._tcp` instance (protocol section 5.2): what a compile server offers for one
 * kernel release.
 *
 * @param sysinfo         `<release> <arch>`, or an arch alone, which stands for every release
 * @param optinfo         the server's `-R`, `-B`, `-D`, `-I` options, space-separated; may be empty
 * @param version         the server's protocol version; empty when the advertisement has none (read as 1.0)
 * @param certinfo        the serial of the certificate the server presents; empty when not advertised
 * @param mokFingerprints one per machine owner key the server signs with
 */
public record StapTxtRecord(String sysinfo, String optinfo, String version, String certinfo,
                            List<String> mokFingerprints) {

    /** A TXT string is one length octet and at most this many bytes (RFC 6763 section 6.1). */
    static final int MAX_STRING = 255;

    public StapTxtRecord {
        Objects.requireNonNull(sysinfo, "sysinfo");
        Objects.requireNonNull(optinfo, "optinfo");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(certinfo, "certinfo");
        mokFingerprints = List.copyOf(mokFingerprints);
    }

    /**
     * The record's wire form: `sysinfo`, `optinfo`, `version`, `certinfo`, then every `mok_info`. The order is
     * not cosmetic: the stock 4.8 client takes every string after the first `mok_info` for a fingerprint.
     * An `optinfo` too long for one TXT string is cut at a character boundary, as avahi cuts it for the
     * reference server; it is informational only.
     */
    public byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        append(out, "sysinfo=" + sysinfo);
        append(out, Utf8.truncate("optinfo=" + optinfo, MAX_STRING));
        if (!version.isEmpty()) {
            append(out, "version=" + version);
        }
        if (!certinfo.isEmpty()) {
            append(out, "certinfo=" + certinfo);
        }
        mokFingerprints.forEach(fingerprint -> append(out, "mok_info=" + fingerprint));
        return out.toByteArray();
    }

    /**
     * Reads a TXT record as any publisher may have written it: keys in any order and any case, the first
     * value of a key counts (RFC 6763 section 6.4), every `mok_info` is kept. Strings without `=` are
     * flags, of no use here.
     *
     * @throws IllegalArgumentException when a string's length octet points past the record, or when the
     *                                  record has no `sysinfo`, without which nobody can tell what it offers
     */
    public static StapTxtRecord decode(byte[] text) {
        Map<String, String> values = new HashMap<>();
        List<String> moks = new ArrayList<>();
        int position = 0;
        while (position < text.length) {
            int length = text[position] & 0xff;
            if (position + 1 + length > text.length) {
                throw new IllegalArgumentException("TXT string at offset " + position + " overruns the record");
            }
            String string = new String(text, position + 1, length, StandardCharsets.UTF_8);
            position += 1 + length;
            int equals = string.indexOf('=');
            if (equals <= 0) {
                continue;
            }
            String key = string.substring(0, equals).toLowerCase(Locale.ROOT);
            String value = string.substring(equals + 1);
            if (key.equals("mok_info")) {
                moks.add(value);
            } else {
                values.putIfAbsent(key, value);
            }
        }
        String sysinfo = values.get("sysinfo");
        if (sysinfo == null) {
            throw new IllegalArgumentException("no sysinfo in the TXT record");
        }
        return new StapTxtRecord(sysinfo, values.getOrDefault("optinfo", ""), values.getOrDefault("version", ""),
                values.getOrDefault("certinfo", ""), moks);
    }

    private static void append(ByteArrayOutputStream out, String string) {
        byte[] bytes = string.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_STRING) {
            throw new IllegalArgumentException("TXT string longer than " + MAX_STRING + " bytes: " + string);
        }
        out.write(bytes.length);
        out.writeBytes(bytes);
    }
}
