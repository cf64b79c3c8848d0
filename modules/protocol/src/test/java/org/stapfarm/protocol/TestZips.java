package org.stapfarm.protocol;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/** Builds and takes apart zips for the tests, including zips no honest tool would write. */
final class TestZips {

    private TestZips() {
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** The smallest request the real client could send for `stap -p2 -e ...`. */
    static Map<String, byte[]> minimalRequest() {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("version", bytes("4.8"));
        entries.put("sysinfo", bytes("sysinfo: 6.1.0-47-amd64 x86_64"));
        entries.put("argv1", bytes("-p2"));
        entries.put("argv2", bytes("-eprobe begin { exit() }"));
        entries.put("locale", bytes("LANG=C.UTF-8\n"));
        return entries;
    }

    /** A zip of the given entries in order; names ending in `/` become directories. */
    static byte[] zip(Map<String, byte[]> entries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(entry.getKey()));
                zip.write(entry.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Like {@link #zip}, with every entry stored uncompressed, as Info-ZIP does for tiny files. */
    static byte[] storedZip(Map<String, byte[]> entries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
                ZipEntry zipEntry = new ZipEntry(entry.getKey());
                CRC32 crc = new CRC32();
                crc.update(entry.getValue());
                zipEntry.setMethod(ZipEntry.STORED);
                zipEntry.setSize(entry.getValue().length);
                zipEntry.setCrc(crc.getValue());
                zip.putNextEntry(zipEntry);
                zip.write(entry.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** The entries of a zip, in order, as {@code java.util.zip} reads them. */
    static Map<String, byte[]> unzip(byte[] zip) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                entries.put(entry.getName(), in.readAllBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return entries;
    }

    /**
     * Replaces every occurrence of {@code from} by {@code to} (same length) in the raw archive, e.g. to give
     * two entries the same name, which {@code ZipOutputStream} refuses to write.
     */
    static byte[] rename(byte[] zip, String from, String to) {
        byte[] search = bytes(from);
        byte[] replacement = bytes(to);
        if (search.length != replacement.length) {
            throw new IllegalArgumentException("names must have the same length");
        }
        byte[] patched = zip.clone();
        for (int i = 0; i + search.length <= patched.length; i++) {
            if (Arrays.equals(patched, i, i + search.length, search, 0, search.length)) {
                System.arraycopy(replacement, 0, patched, i, replacement.length);
            }
        }
        return patched;
    }

    /**
     * Marks an entry as made on Unix with the given mode, as Info-ZIP does: `version made by` host 3 and the
     * mode in the high 16 bits of the central directory's external attributes.
     */
    static byte[] withUnixMode(byte[] zip, String name, int mode) {
        byte[] patched = zip.clone();
        int header = centralHeader(patched, name);
        patched[header + 5] = 3;
        putU32(patched, header + 38, (long) mode << 16);
        return patched;
    }

    /** Makes the central directory claim another uncompressed size for an entry. */
    static byte[] withDeclaredSize(byte[] zip, String name, long size) {
        byte[] patched = zip.clone();
        putU32(patched, centralHeader(patched, name) + 24, size);
        return patched;
    }

    private static int centralHeader(byte[] zip, String name) {
        byte[] wanted = bytes(name);
        for (int i = 0; i + 46 <= zip.length; i++) {
            int nameLength = (zip[i + 28] & 0xFF) | (zip[i + 29] & 0xFF) << 8;
            if (u32(zip, i) == 0x02014b50
                    && Arrays.equals(zip, i + 46, Math.min(zip.length, i + 46 + nameLength),
                            wanted, 0, wanted.length)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no central directory entry " + name);
    }

    private static void putU32(byte[] bytes, int i, long value) {
        for (int b = 0; b < 4; b++) {
            bytes[i + b] = (byte) (value >>> (8 * b));
        }
    }

    private static long u32(byte[] bytes, int i) {
        return (bytes[i] & 0xFFL) | (bytes[i + 1] & 0xFFL) << 8 | (bytes[i + 2] & 0xFFL) << 16
                | (bytes[i + 3] & 0xFFL) << 24;
    }
}
