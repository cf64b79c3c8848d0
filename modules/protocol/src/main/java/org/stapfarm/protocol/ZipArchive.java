package org.stapfarm.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Reads a compile-server zip held in memory, trusting nothing it claims: a request on the server, a response
 * on the client (a server can be as hostile as a client, and the client unpacks into the user's directories).
 *
 * <p>The central directory is parsed here rather than through {@code java.util.zip}: the JDK readers do not
 * expose the external attributes that mark Info-ZIP symbolic links, and {@code ZipInputStream} reads local
 * headers, which can disagree with the central directory that {@code unzip} obeys. Sizes are never taken on
 * trust: inflated bytes are counted as they are produced, so a zip bomb is stopped at the limit.
 */
final class ZipArchive {

    /** A regular file or a directory (name ending in `/`, no content) of a checked archive. */
    record Entry(String name, boolean directory, byte[] content) {
    }

    /** Which way the archive travels; it names the archive and whose limits apply in messages. */
    enum Side {
        REQUEST("request", "server's"),
        RESPONSE("response", "client's");

        private final String noun;
        private final String limitOwner;

        Side(String noun, String limitOwner) {
            this.noun = noun;
            this.limitOwner = limitOwner;
        }
    }

    /** Why an archive is refused: one line for the user, turned into the exception of the side reading it. */
    static final class InvalidArchiveException extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidArchiveException(String message) {
            super(message);
        }
    }

    /** What the central directory says about one entry. */
    private record Header(String name, boolean directory, int method, long crc, long compressedSize, long size,
            long localOffset) {
    }

    private static final int END_SIGNATURE = 0x06054b50;
    private static final int CENTRAL_SIGNATURE = 0x02014b50;
    private static final int LOCAL_SIGNATURE = 0x04034b50;
    private static final int END_SIZE = 22;
    private static final int CENTRAL_SIZE = 46;
    private static final int LOCAL_SIZE = 30;
    private static final int MAX_COMMENT = 0xFFFF;
    private static final int STORED = 0;
    private static final int DEFLATED = 8;
    private static final int FLAG_ENCRYPTED = 1;
    private static final long ZIP64_MARKER = 0xFFFFFFFFL;

    // Unix file types as Info-ZIP stores them in the high 16 bits of the external attributes.
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFLNK = 0120000;

    private final byte[] zip;
    private final RequestLimits limits;
    private final Side side;
    private long centralOffset;
    private long inflated;

    private ZipArchive(byte[] zip, RequestLimits limits, Side side) {
        this.zip = zip;
        this.limits = limits;
        this.side = side;
    }

    /** The archive's entries in central directory order, or the reason the archive is refused. */
    static List<Entry> read(byte[] zip, RequestLimits limits, Side side) throws InvalidArchiveException {
        if (zip.length > limits.maxCompressedBytes()) {
            throw new InvalidArchiveException("the " + side.noun + " is larger than the " + side.limitOwner
                    + " limit of " + limits.maxCompressedBytes() + " compressed bytes");
        }
        return new ZipArchive(zip, limits, side).entries();
    }

    private List<Entry> entries() throws InvalidArchiveException {
        List<Entry> entries = new ArrayList<>();
        for (Header header : centralDirectory()) {
            entries.add(new Entry(header.name(), header.directory(), content(header)));
        }
        if (inflated == 0) {
            throw new InvalidArchiveException("the " + side.noun + " is empty");
        }
        return entries;
    }

    private List<Header> centralDirectory() throws InvalidArchiveException {
        int end = endRecord();
        int count = u16(end + 10);
        if (u16(end + 4) != 0 || u16(end + 6) != 0 || u16(end + 8) != count) {
            throw invalid("multi-volume archives are not supported");
        }
        long size = u32(end + 12);
        centralOffset = u32(end + 16);
        if (count == 0xFFFF || size == ZIP64_MARKER || centralOffset == ZIP64_MARKER) {
            throw invalid("ZIP64 archives are not supported");
        }
        if (count > limits.maxEntries()) {
            throw new InvalidArchiveException("the " + side.noun + " has more than the " + side.limitOwner + " limit of "
                    + limits.maxEntries() + " entries");
        }
        if (centralOffset + size != end) {
            throw invalid("the central directory is not where the archive says it is");
        }
        List<Header> headers = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Set<String> files = new HashSet<>();
        Set<String> directories = new HashSet<>();
        int position = (int) centralOffset;
        for (int i = 0; i < count; i++) {
            Header header = header(position);
            String path = header.directory() ? header.name().substring(0, header.name().length() - 1) : header.name();
            if (!names.add(header.name())) {
                throw new InvalidArchiveException(side.noun + " entry " + Text.quote(header.name())
                        + " appears more than once");
            }
            (header.directory() ? directories : files).add(path);
            headers.add(header);
            position += CENTRAL_SIZE + u16(position + 28) + u16(position + 30) + u16(position + 32);
        }
        if (position != end) {
            throw invalid("the central directory does not match its entry count");
        }
        Optional<String> clash = EntryPaths.clash(files, directories);
        if (clash.isPresent()) {
            throw new InvalidArchiveException(side.noun + " entry " + Text.quote(clash.get())
                    + " is needed both as a file and as a directory");
        }
        return headers;
    }

    /** Finds the end-of-central-directory record, which must close the archive exactly. */
    private int endRecord() throws InvalidArchiveException {
        for (int position = zip.length - END_SIZE; position >= 0 && position >= zip.length - END_SIZE - MAX_COMMENT;
                position--) {
            if (u32(position) == END_SIGNATURE && position + END_SIZE + u16(position + 20) == zip.length) {
                return position;
            }
        }
        throw invalid("no end of central directory record");
    }

    private Header header(int position) throws InvalidArchiveException {
        if (u32(position) != CENTRAL_SIGNATURE) {
            throw invalid("damaged central directory");
        }
        int flags = u16(position + 8);
        int method = u16(position + 10);
        long compressedSize = u32(position + 20);
        long size = u32(position + 24);
        int mode = (int) (u32(position + 38) >>> 16);
        String name = name(position + CENTRAL_SIZE, u16(position + 28));
        boolean directory = name.endsWith("/");
        String quoted = Text.quote(name);

        String problem = EntryPaths.problem(directory ? name.substring(0, name.length() - 1) : name);
        if (problem != null) {
            throw new InvalidArchiveException(side.noun + " entry " + quoted + " has an unsafe name: " + problem);
        }
        // Any tool may set these bits, whatever host it claims in "version made by"; unzip honours them.
        int type = mode & S_IFMT;
        if (type == S_IFLNK) {
            throw new InvalidArchiveException(side.noun + " entry " + quoted
                    + " is a symbolic link; only regular files and directories are accepted");
        }
        if (type != 0 && type != S_IFREG && type != S_IFDIR) {
            throw new InvalidArchiveException(side.noun + " entry " + quoted
                    + " is a device or other special file; only regular files and directories are accepted");
        }
        if (type != 0 && (type == S_IFDIR) != directory) {
            throw invalid("the file type of entry " + quoted + " does not match its name");
        }
        if (directory && size != 0) {
            throw invalid("directory entry " + quoted + " has content");
        }
        if ((flags & FLAG_ENCRYPTED) != 0) {
            throw new InvalidArchiveException(side.noun + " entry " + quoted + " is encrypted");
        }
        if (method != STORED && method != DEFLATED) {
            throw new InvalidArchiveException(side.noun + " entry " + quoted + " uses compression method " + method
                    + "; only stored and deflated entries are accepted");
        }
        if (compressedSize == ZIP64_MARKER || size == ZIP64_MARKER) {
            throw invalid("ZIP64 archives are not supported");
        }
        return new Header(name, directory, method, u32(position + 16), compressedSize, size, u32(position + 42));
    }

    private String name(int position, int length) throws InvalidArchiveException {
        check(position, length);
        try {
            return Text.strictUtf8(zip, position, length);
        } catch (CharacterCodingException e) {
            throw new InvalidArchiveException("a " + side.noun + " entry name is not valid UTF-8");
        }
    }

    /** The entry's data, located through its local header and checked against the central directory. */
    private byte[] content(Header header) throws InvalidArchiveException {
        String quoted = Text.quote(header.name());
        if (header.localOffset() + LOCAL_SIZE > centralOffset) {
            throw invalid("entry " + quoted + " points outside the archive");
        }
        int local = (int) header.localOffset();
        if (u32(local) != LOCAL_SIGNATURE) {
            throw invalid("entry " + quoted + " has no local header");
        }
        long start = local + (long) LOCAL_SIZE + u16(local + 26) + u16(local + 28);
        if (start + header.compressedSize() > centralOffset) {
            throw invalid("the data of entry " + quoted + " runs past the end of the archive");
        }
        byte[] data = header.method() == STORED
                ? stored(header, (int) start)
                : inflate(header, (int) start);
        CRC32 crc = new CRC32();
        crc.update(data);
        if (crc.getValue() != header.crc()) {
            throw invalid("entry " + quoted + " fails its CRC check");
        }
        return data;
    }

    private byte[] stored(Header header, int start) throws InvalidArchiveException {
        if (header.compressedSize() != header.size()) {
            throw invalid("stored entry " + Text.quote(header.name()) + " has two different sizes");
        }
        count(header.size());
        return Arrays.copyOfRange(zip, start, start + (int) header.size());
    }

    private byte[] inflate(Header header, int start) throws InvalidArchiveException {
        String quoted = Text.quote(header.name());
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(zip, start, (int) header.compressedSize());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[64 * 1024];
            while (!inflater.finished()) {
                int n = inflater.inflate(buffer);
                if (n == 0 && !inflater.finished() && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw invalid("entry " + quoted + " is truncated");
                }
                count(n);
                out.write(buffer, 0, n);
            }
            if (out.size() != header.size()) {
                throw invalid("entry " + quoted + " does not have the size the archive says");
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw invalid("entry " + quoted + " is not valid deflate data");
        } finally {
            inflater.end();
        }
    }

    /** Counts bytes actually produced, so that sizes declared in headers cannot hide a zip bomb. */
    private void count(long bytes) throws InvalidArchiveException {
        inflated += bytes;
        if (inflated > limits.maxUncompressedBytes()) {
            throw new InvalidArchiveException("the " + side.noun + " unpacks to more than the " + side.limitOwner
                    + " limit of " + limits.maxUncompressedBytes() + " bytes");
        }
    }

    private int u16(int position) throws InvalidArchiveException {
        check(position, 2);
        return (zip[position] & 0xFF) | (zip[position + 1] & 0xFF) << 8;
    }

    private long u32(int position) throws InvalidArchiveException {
        check(position, 4);
        return (u16(position) | (long) u16(position + 2) << 16);
    }

    private void check(int position, int length) throws InvalidArchiveException {
        if (position < 0 || length > zip.length - position) {
            throw invalid("it is truncated");
        }
    }

    private InvalidArchiveException invalid(String reason) {
        return new InvalidArchiveException("the " + side.noun + " is not a valid zip archive: " + reason);
    }
}
