package org.stapfarm.node.routing;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamRefs;
import org.apache.pekko.util.ByteString;
import org.stapfarm.node.CborSerializable;
import scala.Option;

/**
 * A request or result on its way between nodes. Artery drops a message bigger than its frame (256 KiB) with
 * nothing but a log line, and a module can be several MB, so anything but a small value travels as a
 * back-pressured stream of chunks; either way the receiver checks size and SHA-256 before it decodes.
 *
 * @param inline the encoded value when it is small, otherwise null
 * @param stream the encoded value in chunks when it is not small, otherwise null; it can be read once,
 *               within `pekko.stream.materializer.stream-ref.subscription-timeout`
 */
public record Payload(long size, String sha256, byte[] inline, SourceRef<ByteString> stream)
        implements CborSerializable {

    /** Values up to this size travel inside the message: well below the frame, with room for the envelope. */
    static final int INLINE_LIMIT = 128 * 1024;
    private static final int CHUNK_SIZE = 128 * 1024;

    /** How large and how slow a transfer between nodes may be. */
    public record Limits(long maxSize, Duration timeout) {
    }

    /** Thrown (inside the returned stage) when what arrived is not what was sent. */
    public static final class CorruptPayloadException extends IOException {
        CorruptPayloadException(String message) {
            super(message);
        }
    }

    /** Encodes {@code value} with the cluster's CBOR mapper and offers it to one receiver. */
    public static Payload of(Object value, ActorSystem<?> system) {
        byte[] bytes;
        try {
            bytes = mapper(system).writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot encode a " + value.getClass().getSimpleName(), e);
        }
        String digest = sha256(bytes);
        if (bytes.length <= INLINE_LIMIT) {
            return new Payload(bytes.length, digest, bytes, null);
        }
        List<ByteString> chunks = new ArrayList<>();
        for (int offset = 0; offset < bytes.length; offset += CHUNK_SIZE) {
            chunks.add(ByteString.fromArray(bytes, offset, Math.min(CHUNK_SIZE, bytes.length - offset)));
        }
        SourceRef<ByteString> stream = Source.from(chunks).runWith(StreamRefs.sourceRef(), system);
        return new Payload(bytes.length, digest, null, stream);
    }

    /**
     * Reads the value, failing with {@link CorruptPayloadException} when size or digest differ and when the
     * sender announces more than the limit allows, and with the stream's failure when the sender is lost
     * or the limit's time passes.
     */
    public <T> CompletionStage<T> read(Class<T> type, Limits limits, ActorSystem<?> system) {
        if (size > limits.maxSize()) {
            return CompletableFuture.failedFuture(new CorruptPayloadException(
                    "a payload of " + size + " bytes exceeds the limit of " + limits.maxSize()));
        }
        CompletionStage<byte[]> bytes = inline != null
                ? CompletableFuture.completedFuture(inline)
                : stream.getSource()
                        .limitWeighted(size, chunk -> (long) chunk.size())
                        .completionTimeout(limits.timeout())
                        .runWith(Sink.<ByteString, ByteString>fold(ByteString.emptyByteString(), ByteString::concat),
                                system)
                        .thenApply(ByteString::toArray);
        return bytes.thenApply(received -> decode(received, type, system));
    }

    private <T> T decode(byte[] received, Class<T> type, ActorSystem<?> system) {
        try {
            if (received.length != size || !sha256(received).equals(sha256)) {
                throw new CorruptPayloadException("received " + received.length + " bytes with SHA-256 "
                        + sha256(received) + ", expected " + size + " bytes with " + sha256);
            }
            return mapper(system).readValue(received, type);
        } catch (IOException e) {
            throw new CompletionException(e);
        }
    }

    private static ObjectMapper mapper(ActorSystem<?> system) {
        return JacksonObjectMapperProvider.get(system).getOrCreate("jackson-cbor", Option.empty());
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
