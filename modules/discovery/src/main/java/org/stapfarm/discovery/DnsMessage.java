package org.stapfarm.discovery;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The part of the DNS message format (RFC 1035 section 4) that a one-shot DNS-SD browse needs: a query,
 * and the PTR, SRV, TXT, A and AAAA records of a response. Other record types are skipped. Responses come
 * from anyone on the link, so every length and every name pointer is checked before it is followed.
 */
final class DnsMessage {

    static final int TYPE_A = 1;
    static final int TYPE_PTR = 12;
    static final int TYPE_TXT = 16;
    static final int TYPE_AAAA = 28;
    static final int TYPE_SRV = 33;

    private static final int CLASS_IN = 1;
    /** mDNS uses the top bit of a record's class as its cache-flush flag (RFC 6762 section 10.2). */
    private static final int CLASS_MASK = 0x7fff;
    private static final int FLAG_RESPONSE = 0x8000;
    private static final int OPCODE_AND_RCODE = 0x780f;
    private static final int MAX_NAME = 255;

    record Question(DnsName name, int type) {
    }

    sealed interface Record permits Pointer, Service, Text, Address {
        DnsName name();

        /** Seconds; 0 announces that the record is gone (RFC 6762 section 10.1). */
        long ttl();
    }

    record Pointer(DnsName name, long ttl, DnsName target) implements Record {
    }

    record Service(DnsName name, long ttl, int port, DnsName target) implements Record {
    }

    record Text(DnsName name, long ttl, byte[] text) implements Record {
    }

    record Address(DnsName name, long ttl, InetAddress address) implements Record {
    }

    private DnsMessage() {
    }

    /** A standard query; sent from a port other than 5353 it asks for a unicast answer (RFC 6762 6.7). */
    static byte[] query(int id, List<Question> questions) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeShort(out, id);
        writeShort(out, 0);
        writeShort(out, questions.size());
        writeShort(out, 0);
        writeShort(out, 0);
        writeShort(out, 0);
        for (Question question : questions) {
            writeName(out, question.name());
            writeShort(out, question.type());
            writeShort(out, CLASS_IN);
        }
        return out.toByteArray();
    }

    /**
     * The records of every section of a response, in order; none for a query or a response that reports
     * an error.
     *
     * @throws IllegalArgumentException when the message is malformed
     */
    static List<Record> records(byte[] packet, int length) {
        Reader reader = new Reader(packet, length);
        reader.u16();
        int flags = reader.u16();
        if ((flags & FLAG_RESPONSE) == 0 || (flags & OPCODE_AND_RCODE) != 0) {
            return List.of();
        }
        int questions = reader.u16();
        int records = reader.u16() + reader.u16() + reader.u16();
        for (int i = 0; i < questions; i++) {
            reader.name();
            reader.skip(4);
        }
        List<Record> found = new ArrayList<>();
        for (int i = 0; i < records; i++) {
            DnsName name = reader.name();
            int type = reader.u16();
            int recordClass = reader.u16() & CLASS_MASK;
            long ttl = reader.u32();
            int dataLength = reader.u16();
            int end = reader.position + dataLength;
            reader.require(dataLength);
            if (recordClass == CLASS_IN) {
                Record record = switch (type) {
                    case TYPE_PTR -> new Pointer(name, ttl, reader.name());
                    case TYPE_SRV -> {
                        reader.skip(4);
                        int port = reader.u16();
                        yield new Service(name, ttl, port, reader.name());
                    }
                    case TYPE_TXT -> new Text(name, ttl, reader.bytes(dataLength));
                    case TYPE_A, TYPE_AAAA -> new Address(name, ttl, reader.address(dataLength));
                    default -> null;
                };
                if (record != null) {
                    found.add(record);
                }
            }
            reader.position = end;
        }
        return found;
    }

    private static void writeShort(ByteArrayOutputStream out, int value) {
        out.write(value >> 8);
        out.write(value);
    }

    private static void writeName(ByteArrayOutputStream out, DnsName name) {
        int total = 1;
        for (String label : name.labels()) {
            byte[] bytes = label.getBytes(StandardCharsets.UTF_8);
            total += 1 + bytes.length;
            if (bytes.length == 0 || bytes.length > InstanceNames.MAX_LABEL || total > MAX_NAME) {
                throw new IllegalArgumentException("not a valid DNS name: " + name);
            }
            out.write(bytes.length);
            out.writeBytes(bytes);
        }
        out.write(0);
    }

    private static final class Reader {
        private final byte[] data;
        private final int limit;
        int position;

        Reader(byte[] data, int limit) {
            this.data = data;
            this.limit = limit;
        }

        void require(int count) {
            if (count < 0 || position + count > limit) {
                throw new IllegalArgumentException("DNS message truncated at offset " + position);
            }
        }

        void skip(int count) {
            require(count);
            position += count;
        }

        int u8() {
            require(1);
            return data[position++] & 0xff;
        }

        int u16() {
            return (u8() << 8) | u8();
        }

        long u32() {
            return ((long) u16() << 16) | u16();
        }

        byte[] bytes(int count) {
            require(count);
            byte[] bytes = Arrays.copyOfRange(data, position, position + count);
            position += count;
            return bytes;
        }

        InetAddress address(int count) {
            if (count != 4 && count != 16) {
                throw new IllegalArgumentException("address record of " + count + " bytes");
            }
            try {
                return InetAddress.getByAddress(bytes(count));
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        }

        /**
         * A name at the current position, following compression pointers (RFC 1035 section 4.1.4). A pointer
         * must point backwards, which rules out loops.
         */
        DnsName name() {
            List<String> labels = new ArrayList<>();
            int cursor = position;
            int resumeAt = -1;
            int total = 1;
            while (true) {
                if (cursor >= limit) {
                    throw new IllegalArgumentException("DNS name runs past the message");
                }
                int length = data[cursor] & 0xff;
                if ((length & 0xc0) == 0xc0) {
                    if (cursor + 1 >= limit) {
                        throw new IllegalArgumentException("DNS name pointer runs past the message");
                    }
                    int target = ((length & 0x3f) << 8) | (data[cursor + 1] & 0xff);
                    if (target >= cursor) {
                        throw new IllegalArgumentException("DNS name pointer at " + cursor + " does not point back");
                    }
                    if (resumeAt < 0) {
                        resumeAt = cursor + 2;
                    }
                    cursor = target;
                } else if ((length & 0xc0) != 0) {
                    throw new IllegalArgumentException("unknown DNS label type at offset " + cursor);
                } else if (length == 0) {
                    position = resumeAt >= 0 ? resumeAt : cursor + 1;
                    return new DnsName(labels);
                } else {
                    total += 1 + length;
                    if (total > MAX_NAME || cursor + 1 + length > limit) {
                        throw new IllegalArgumentException("DNS name too long or truncated at offset " + cursor);
                    }
                    labels.add(new String(data, cursor + 1, length, StandardCharsets.UTF_8));
                    cursor += 1 + length;
                }
            }
        }
    }
}
