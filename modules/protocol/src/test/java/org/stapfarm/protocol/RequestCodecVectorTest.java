package org.stapfarm.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Decoding the requests the real 4.8 client (or the raw test client) actually sent. */
class RequestCodecVectorTest {

    private static final RequestCodec CODEC = new RequestCodec(new RequestLimits(1 << 20, 1 << 20, 1000));

    private static CompileRequest decode(String vector) throws RequestRejectedException {
        return CODEC.decode(Vectors.read(vector, "request.zip"));
    }

    @Test
    void inlineScriptVector() throws Exception {
        CompileRequest request = decode("01-p2-inline-script");

        assertEquals(ProtocolVersion.parse("4.8"), request.clientVersion());
        assertEquals(new SysInfo("6.1.0-47-amd64", "x86_64"), request.sysInfo());
        assertEquals(List.of("-r6.1.0-47-amd64", "-p2", "-eprobe begin { printf(\"hello\\n\"); exit() }"),
                request.arguments());
        assertEquals(Map.of("LANG", "C.UTF-8"), request.locale());
        assertEquals(List.of(), request.mokFingerprints());
        assertEquals(List.of(), request.files());
        assertEquals(List.of(), request.serverMessages());
    }

    @Test
    void scriptTapsetAndArgumentsVector() throws Exception {
        String vector = "02-p2-script-tapset-args";
        CompileRequest request = decode(vector);

        // argv10 sorts before argv2 in the zip; the order must come from the numbers.
        assertEquals(List.of("script/home/demo/args.stp", "-I", "tapset/home/demo/mytapsets", "-r6.1.0-47-amd64",
                "-p2", "-mdemo_mod", "-DMAXACTION=500", "--", "first arg", "42"), request.arguments());
        assertEquals(Map.of("LANG", "en_US.UTF-8", "LC_MESSAGES", "C"), request.locale());
        Map<String, byte[]> files = request.files().stream()
                .collect(Collectors.toMap(RequestFile::path, RequestFile::content, (a, b) -> a, LinkedHashMap::new));
        assertEquals(List.of("script/home/demo/args.stp", "tapset/home/demo/mytapsets/greet.stp"),
                List.copyOf(files.keySet()));
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            assertArrayEquals(Vectors.read(vector, "request/" + file.getKey()), file.getValue(), file.getKey());
        }
        assertEquals(List.of(), request.serverMessages());
    }

    @Test
    void localeAndMokMessagesMatchTheReferenceServer() throws Exception {
        String vector = "07-locale-and-mok-validation";
        CompileRequest request = decode(vector);

        List<String> referenceLines = Arrays.stream(
                        new String(Vectors.read(vector, "response/stderr"), StandardCharsets.UTF_8).split("\n"))
                .filter(line -> line.startsWith("Server: "))
                .toList();
        List<String> ours = request.serverMessages().stream().map(message -> "Server: " + message).toList();
        assertEquals(5, referenceLines.size());
        assertEquals(referenceLines, ours);
        assertEquals(Map.of("LANG", "C.UTF-8", "LC_TIME", "en_US.UTF-8"), request.locale());
        assertEquals(List.of(), request.mokFingerprints());
    }

    @Test
    void missingMokMarkerIsKept() throws Exception {
        assertEquals(List.of("missing"), decode("14-real-client-mok-missing").mokFingerprints());
        assertEquals(List.of("af:cb:4d:d8:83:c7:39:43:d4:bb:b7:98:04:5c:75:e1:b1:2d:7e:05"),
                decode("15-real-client-mok-match").mokFingerprints());
    }

    static List<String> requestVectors() {
        return Vectors.withRequests();
    }

    @ParameterizedTest
    @MethodSource("requestVectors")
    void everyCapturedRequestIsAcceptedAndPassesTheArgumentPolicy(String vector) throws Exception {
        CompileRequest request = decode(vector);

        assertFalse(request.arguments().isEmpty());
        TranslatorArguments arguments = TranslatorArguments.parse(request.arguments());
        var paths = request.files().stream().map(RequestFile::path).collect(Collectors.toSet());
        assertEquals(List.of(), ArgumentPolicy.violations(arguments, paths));
        assertEquals(List.of(), arguments.problems());
    }
}
