package org.stapfarm.dist;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Request zips for {@link RawClient}: valid ones shaped like the Debian 4.8 client's (Info-ZIP order,
 * directory entries, Unix modes; compare vectors/01-p2-inline-script/request.zip), and hostile ones with
 * whatever names, modes and sizes a test needs. The archive is written by hand rather than with
 * `ZipOutputStream` so that external attributes (symbolic links) and precomputed deflate data (zip bombs)
 * can be set.
 */
final class RequestZip {

    static final int STORED = 0;
    static final int DEFLATED = 8;
    static final int REGULAR_FILE = 0100644;
    static final int DIRECTORY = 040755;
    static final int SYMBOLIC_LINK = 0120777;
    static final int CHARACTER_DEVICE = 020644;

    /** One archive member: `data` is what is stored in the archive (deflated or not), `size` its inflated size. */
    record Entry(String name, int method, byte[] data, long crc, long size, int unixMode) {

        static Entry stored(String name, byte[] content) {
            return new Entry(name, STORED, content, crcOf(content), content.length, REGULAR_FILE);
        }

        static Entry deflated(String name, byte[] content) {
            Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
            deflater.setInput(content);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[64 * 1024];
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
            deflater.end();
            return new Entry(name, DEFLATED, out.toByteArray(), crcOf(content), content.length, REGULAR_FILE);
        }

        static Entry directory(String name) {
            return new Entry(name.endsWith("/") ? name : name + "/", STORED, new byte[0], 0, 0, DIRECTORY);
        }

        /** What `zip -y` stores for a symbolic link: the target as content, file type S_IFLNK. */
        static Entry symbolicLink(String name, String target) {
            byte[] content = target.getBytes(StandardCharsets.UTF_8);
            return new Entry(name, STORED, content, crcOf(content), content.length, SYMBOLIC_LINK);
        }

        Entry withUnixMode(int mode) {
            return new Entry(name, method, data, crc, size, mode);
        }

        /**
         * A deflated entry of `mebibytes` MiB of zero bytes, with correct CRC and sizes: a zip bomb of ratio
         * about 1000:1. Deflating a GiB takes seconds; instead one MiB is deflated with a full flush, which
         * resets the compressor and byte-aligns its output, so every further MiB deflates to the same bytes
         * and the stream is that chunk repeated (checked on the second MiB) plus the final empty block.
         */
        static Entry zeros(String name, int mebibytes) {
            byte[] mebibyte = new byte[1 << 20];
            Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
            byte[] chunk = fullFlush(deflater, mebibyte);
            byte[] second = fullFlush(deflater, mebibyte);
            if (!Arrays.equals(chunk, second)) {
                throw new IllegalStateException("deflate output of a flushed MiB of zeros does not repeat");
            }
            deflater.finish();
            ByteArrayOutputStream tail = new ByteArrayOutputStream();
            byte[] buffer = new byte[1024];
            while (!deflater.finished()) {
                tail.write(buffer, 0, deflater.deflate(buffer));
            }
            deflater.end();
            ByteArrayOutputStream stream = new ByteArrayOutputStream(chunk.length * mebibytes + tail.size());
            CRC32 crc = new CRC32();
            for (int i = 0; i < mebibytes; i++) {
                stream.writeBytes(chunk);
                crc.update(mebibyte);
            }
            stream.writeBytes(tail.toByteArray());
            return new Entry(name, DEFLATED, stream.toByteArray(), crc.getValue(), (long) mebibytes << 20, REGULAR_FILE);
        }

        private static byte[] fullFlush(Deflater deflater, byte[] input) {
            deflater.setInput(input);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[64 * 1024];
            int n;
            do {
                n = deflater.deflate(buffer, 0, buffer.length, Deflater.FULL_FLUSH);
                out.write(buffer, 0, n);
            } while (n == buffer.length || !deflater.needsInput());
            return out.toByteArray();
        }
    }

    /** A request of the Debian 4.8 client for `release` on x86_64: `version` 4.8 and an empty `locale`. */
    static Builder request(String release) {
        return new Builder(release);
    }

    /** A well-formed request builder; {@link #entries()} can be edited before {@link #write(List)}. */
    static final class Builder {
        private final String release;
        private final List<String> arguments = new ArrayList<>();
        private final Map<String, byte[]> files = new TreeMap<>();
        private String version = "4.8";
        private final List<Entry> extra = new ArrayList<>();

        private Builder(String release) {
            this.release = release;
        }

        /** Appends translator arguments, one `argvN` file each. */
        Builder argv(String... more) {
            arguments.addAll(List.of(more));
            return this;
        }

        /** A user file such as `script/tmp/x.stp`; its directories get entries of their own, as from zip -r. */
        Builder file(String name, byte[] content) {
            files.put(name, content);
            return this;
        }

        Builder file(String name, String content) {
            return file(name, content.getBytes(StandardCharsets.UTF_8));
        }

        /** A protocol 1.0 client's request: no `version` (and then no `locale`). */
        Builder withoutVersion() {
            version = null;
            return this;
        }

        /** Adds an arbitrary entry as is, after the regular ones. */
        Builder entry(Entry entry) {
            extra.add(entry);
            return this;
        }

        /** The entries in Info-ZIP's order (names sorted: argv1, argv10, argv2, ..., script/, ...). */
        List<Entry> entries() {
            Map<String, Entry> sorted = new TreeMap<>();
            for (int i = 0; i < arguments.size(); i++) {
                String name = "argv" + (i + 1);
                sorted.put(name, Entry.stored(name, arguments.get(i).getBytes(StandardCharsets.UTF_8)));
            }
            sorted.put("sysinfo", Entry.stored("sysinfo",
                    ("sysinfo: " + release + " x86_64").getBytes(StandardCharsets.US_ASCII)));
            if (version != null) {
                sorted.put("version", Entry.stored("version", version.getBytes(StandardCharsets.US_ASCII)));
                sorted.put("locale", Entry.stored("locale", new byte[0]));
            }
            files.forEach((name, content) -> {
                for (int slash = name.indexOf('/'); slash >= 0; slash = name.indexOf('/', slash + 1)) {
                    String directory = name.substring(0, slash + 1);
                    sorted.put(directory, Entry.directory(directory));
                }
                sorted.put(name, content.length > 64 ? Entry.deflated(name, content) : Entry.stored(name, content));
            });
            List<Entry> entries = new ArrayList<>(sorted.values());
            entries.addAll(extra);
            return entries;
        }

        byte[] build() {
            return write(entries());
        }
    }

    /** Writes a zip with local headers, a central directory and an end record, trusting `entries` entirely. */
    static byte[] write(List<Entry> entries) {
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        ByteArrayOutputStream central = new ByteArrayOutputStream();
        int dosTime = 0x5000; // 10:00:00
        int dosDate = ((2026 - 1980) << 9) | (11 << 5) | 21;
        for (Entry entry : entries) {
            byte[] name = entry.name().getBytes(StandardCharsets.UTF_8);
            int offset = zip.size();
            ByteBuffer local = little(30 + name.length);
            local.putInt(0x04034b50).putShort((short) 20).putShort((short) 0x0800).putShort((short) entry.method())
                    .putShort((short) dosTime).putShort((short) dosDate).putInt((int) entry.crc())
                    .putInt(entry.data().length).putInt((int) entry.size())
                    .putShort((short) name.length).putShort((short) 0).put(name);
            zip.writeBytes(local.array());
            zip.writeBytes(entry.data());
            ByteBuffer header = little(46 + name.length);
            header.putInt(0x02014b50).putShort((short) 0x031E).putShort((short) 20).putShort((short) 0x0800)
                    .putShort((short) entry.method()).putShort((short) dosTime).putShort((short) dosDate)
                    .putInt((int) entry.crc()).putInt(entry.data().length).putInt((int) entry.size())
                    .putShort((short) name.length).putShort((short) 0).putShort((short) 0)
                    .putShort((short) 0).putShort((short) 0).putInt(entry.unixMode() << 16).putInt(offset)
                    .put(name);
            central.writeBytes(header.array());
        }
        int centralOffset = zip.size();
        zip.writeBytes(central.toByteArray());
        ByteBuffer end = little(22);
        end.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) entries.size())
                .putShort((short) entries.size()).putInt(central.size()).putInt(centralOffset).putShort((short) 0);
        zip.writeBytes(end.array());
        return zip.toByteArray();
    }

    private static ByteBuffer little(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static long crcOf(byte[] content) {
        CRC32 crc = new CRC32();
        crc.update(content);
        return crc.getValue();
    }

    private RequestZip() {
    }
}
