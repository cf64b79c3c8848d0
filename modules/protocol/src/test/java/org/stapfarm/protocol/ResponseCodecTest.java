package org.stapfarm.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.stapfarm.protocol.TestZips.bytes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ResponseCodecTest {

    private static final ProtocolVersion SERVER = ProtocolVersion.parse("4.8");
    private static final ResponseCodec CODEC = new ResponseCodec();

    private static CompileResult moduleResult() {
        return new CompileResult(0, bytes("stap_abc.ko\n"), bytes("Pass 4: compiled\n"), List.of(
                new ResultFile("stap_abc.ko", bytes("MODULE")),
                new ResultFile("stap_abc.ko.sgn", bytes("SIGNATURE")),
                new ResultFile("uprobes/uprobes.ko", bytes("UPROBES"))),
                bytes("DER"));
    }

    @Test
    void entriesAreInTheOrderAndFormTheClientExpects() {
        Map<String, byte[]> entries = TestZips.unzip(CODEC.encode(SERVER, moduleResult()));

        assertEquals(List.of("version", "rc", "stdout", "stderr", "stap000000/", "stap000000/stap_abc.ko",
                        "stap000000/stap_abc.ko.sgn", "stap000000/uprobes/", "stap000000/uprobes/uprobes.ko",
                        "signing_key.x509"),
                List.copyOf(entries.keySet()));
        assertArrayEquals(bytes("4.8"), entries.get("version"));
        assertArrayEquals(bytes("0"), entries.get("rc"));
        assertArrayEquals(bytes("stap_abc.ko\n"), entries.get("stdout"));
        assertArrayEquals(bytes("Pass 4: compiled\n"), entries.get("stderr"));
        assertArrayEquals(bytes("MODULE"), entries.get("stap000000/stap_abc.ko"));
        assertArrayEquals(bytes("UPROBES"), entries.get("stap000000/uprobes/uprobes.ko"));
        assertArrayEquals(bytes("DER"), entries.get("signing_key.x509"));
    }

    @Test
    void aRefusalStillCarriesTheFullSkeleton() {
        Map<String, byte[]> entries = TestZips.unzip(CODEC.encode(SERVER, CompileResult.refused("no")));

        assertEquals(List.of("version", "rc", "stdout", "stderr", "stap000000/"), List.copyOf(entries.keySet()));
        assertArrayEquals(bytes("1"), entries.get("rc"));
        assertArrayEquals(bytes("Server: no\n"), entries.get("stderr"));
    }

    @Test
    void theReferenceServersTopLevelEntriesAreAllPresent() {
        Map<String, byte[]> reference = TestZips.unzip(Vectors.read("01-p2-inline-script", "response.zip"));
        Map<String, byte[]> ours = TestZips.unzip(CODEC.encode(SERVER,
                new CompileResult(0, reference.get("stdout"), reference.get("stderr"), List.of(), null)));

        assertEquals(reference.keySet(), ours.keySet());
        for (String name : reference.keySet()) {
            assertArrayEquals(reference.get(name), ours.get(name), name);
        }
    }

    @Test
    void infoZipUnzipAcceptsAndExtractsTheResponse(@TempDir Path directory) throws Exception {
        Path zip = directory.resolve("server.zip");
        Files.write(zip, CODEC.encode(SERVER, moduleResult()));
        Path out = directory.resolve("server");

        Integer test = unzip(directory, "-qt", zip.toString());
        assumeTrue(test != null, "Info-ZIP unzip is not installed");
        assertEquals(0, test);
        assertEquals(0, unzip(directory, "-q", zip.toString(), "-d", out.toString()));

        assertArrayEquals(bytes("4.8"), Files.readAllBytes(out.resolve("version")));
        assertArrayEquals(bytes("0"), Files.readAllBytes(out.resolve("rc")));
        assertArrayEquals(bytes("UPROBES"), Files.readAllBytes(out.resolve("stap000000/uprobes/uprobes.ko")));
        assertArrayEquals(bytes("DER"), Files.readAllBytes(out.resolve("signing_key.x509")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/etc/passwd", "../x.ko", "a/../../x.ko", "", "a//b", "./x"})
    void unsafeModuleDirectoryPathsAreRefused(String path) {
        CompileResult result = new CompileResult(0, new byte[0], new byte[0],
                List.of(new ResultFile(path, bytes("x"))), null);
        assertThrows(IllegalArgumentException.class, () -> CODEC.encode(SERVER, result));
    }

    @Test
    void collidingModuleDirectoryPathsAreRefused() {
        for (List<String> paths : List.of(List.of("a.ko", "a.ko"), List.of("uprobes", "uprobes/uprobes.ko"))) {
            CompileResult result = new CompileResult(0, new byte[0], new byte[0],
                    paths.stream().map(p -> new ResultFile(p, bytes("x"))).toList(), null);
            assertThrows(IllegalArgumentException.class, () -> CODEC.encode(SERVER, result), paths.toString());
        }
    }

    /** Runs Info-ZIP `unzip`; null when it is not installed. */
    private static Integer unzip(Path directory, String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("unzip"));
        command.addAll(List.of(arguments));
        Process process;
        try {
            process = new ProcessBuilder(command).directory(directory.toFile()).inheritIO().start();
        } catch (IOException e) {
            assertTrue(e.getMessage().contains("No such file"), e::getMessage);
            return null;
        }
        return process.waitFor();
    }
}
