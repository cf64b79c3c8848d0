package org.stapfarm.node.server;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stapfarm.node.routing.CompileReply;
import org.stapfarm.node.routing.Router;
import org.stapfarm.protocol.ArgumentPolicy;
import org.stapfarm.protocol.CompileRequest;
import org.stapfarm.protocol.CompileResult;
import org.stapfarm.protocol.ProtocolVersion;
import org.stapfarm.protocol.RequestCodec;
import org.stapfarm.protocol.RequestFile;
import org.stapfarm.protocol.RequestRejectedException;
import org.stapfarm.protocol.ResponseCodec;
import org.stapfarm.protocol.TranslatorArguments;

/**
 * One request/response exchange past the transport: decode the zip, route the typed request, sign what
 * came back with this server's keys, and zip the answer. Every refusal reaches the client as `rc` 1 with a
 * `Server:` line, never as a bare close.
 */
final class CompileExchange implements TlsListener.Exchange {

    private static final Logger log = LoggerFactory.getLogger(CompileExchange.class);

    private final RequestCodec requestCodec;
    private final ResponseCodec responseCodec = new ResponseCodec();
    private final ProtocolVersion serverVersion;
    private final String profile;
    private final ActorRef<Router.Command> router;
    private final Scheduler scheduler;
    private final Duration replyTimeout;
    private final ModuleSigning signing;

    CompileExchange(RequestCodec requestCodec, ProtocolVersion serverVersion, String profile,
                    ActorRef<Router.Command> router, Scheduler scheduler, Duration replyTimeout,
                    ModuleSigning signing) {
        this.requestCodec = requestCodec;
        this.serverVersion = serverVersion;
        this.profile = profile;
        this.router = router;
        this.scheduler = scheduler;
        this.replyTimeout = replyTimeout;
        this.signing = signing;
    }

    @Override
    public byte[] answer(byte[] requestZip, String peer) {
        CompileRequest request;
        try {
            request = requestCodec.decode(requestZip);
        } catch (RequestRejectedException e) {
            log.info("Request from {} refused: {}", peer, e.getMessage());
            return refuse(e.getMessage());
        }
        if (request.clientVersion().isOlderThan(ProtocolVersion.VERSIONED)) {
            log.info("Request from {} refused: client version {}", peer, request.clientVersion());
            return refuse("client protocol version " + request.clientVersion() + " is not supported; this server"
                    + " needs a SystemTap client of version " + ProtocolVersion.VERSIONED + " or newer");
        }
        TranslatorArguments arguments = TranslatorArguments.parse(request.arguments());
        List<String> violations = ArgumentPolicy.violations(arguments,
                request.files().stream().map(RequestFile::path).collect(Collectors.toSet()));
        if (!violations.isEmpty()) {
            log.info("Request from {} refused: {}", peer, String.join("; ", violations));
            return responseCodec.encode(serverVersion, CompileResult.refused(violations));
        }
        long started = System.nanoTime();
        log.info("Request from {} for {} (client version {})", peer, request.sysInfo().format(),
                request.clientVersion());
        CompileResult result = signing.sign(request, arguments.privilege(), route(request));
        log.info("Request from {} answered: rc {} in {} ms", peer, result.rc(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return responseCodec.encode(serverVersion, withServerMessages(request, result));
    }

    @Override
    public byte[] refuse(String message) {
        return responseCodec.encode(serverVersion, CompileResult.refused(message));
    }

    private CompileResult route(CompileRequest request) {
        try {
            return AskPattern.<Router.Command, CompileReply>ask(router,
                            replyTo -> new Router.Route(request, profile, replyTo), replyTimeout, scheduler)
                    .toCompletableFuture()
                    .get()
                    .result();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompileResult.refused("the server is shutting down");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TimeoutException) {
                return CompileResult.refused("no result within " + replyTimeout.toMinutes() + " minutes");
            }
            log.error("routing a request failed", e.getCause());
            return CompileResult.internalError();
        }
    }

    /** Lines the codec produced while reading the request go first, as the reference server does. */
    private static CompileResult withServerMessages(CompileRequest request, CompileResult result) {
        if (request.serverMessages().isEmpty()) {
            return result;
        }
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        for (String message : request.serverMessages()) {
            stderr.writeBytes(("Server: " + message + "\n").getBytes(StandardCharsets.UTF_8));
        }
        stderr.writeBytes(result.stderr());
        return new CompileResult(result.rc(), result.stdout(), stderr.toByteArray(), result.moduleDirectory(),
                result.signingKey());
    }
}
