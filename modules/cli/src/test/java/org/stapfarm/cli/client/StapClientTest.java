package org.stapfarm.cli.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.cli.discovery.FoundServer;
import org.stapfarm.cli.discovery.ServerFinder;
import org.stapfarm.protocol.ThisHost;
import org.stapfarm.cli.trust.CertificateAuthorization;
import org.stapfarm.protocol.CompileRequest;
import org.stapfarm.protocol.CompileResult;
import org.stapfarm.protocol.ResultFile;
import org.stapfarm.protocol.SysInfo;
import org.stapfarm.security.Certificates;
import org.stapfarm.security.ServerIdentity;

/** `stap-client` against an in-process server, with real NSS databases written by certutil. */
class StapClientTest {

    private static final ThisHost HOST = new ThisHost("build1", new SysInfo("6.1.0-47-amd64", "x86_64"));
    private static final String HELLO = "probe begin { exit() }";
    private static ServerIdentity server;
    private static ServerIdentity stranger;

    @TempDir
    Path tmp;
    private Path trusted;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final List<FoundServer> found = new ArrayList<>();

    @BeforeAll
    static void identities() {
        server = ServerIdentity.generate(List.of("build1"), 2048, Duration.ofDays(30), Instant.now());
        stranger = ServerIdentity.generate(List.of("elsewhere"), 2048, Duration.ofDays(30), Instant.now());
    }

    @BeforeEach
    void trustTheServer() throws IOException {
        assumeTrue(certutil(), "certutil is not installed");
        trusted = tmp.resolve("trusted");
        authorize(server, trusted);
    }

    private void authorize(ServerIdentity identity, Path database) throws IOException {
        Path certificate = Files.write(Files.createTempFile(tmp, "stap", ".cert"), Certificates.encode(identity.certificate()));
        int status = new CertificateAuthorization(CertificateAuthorization.Tool.AUTHORIZE_SERVER, Map.of(),
                new PrintStream(out), new PrintStream(err), Clock.systemUTC())
                .run(List.of(certificate.toString(), database.toString()));
        assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
    }

    private int run(String... arguments) {
        ServerFinder finder = () -> found;
        return new StapClient(Map.of("SYSTEMTAP_DIR", tmp.resolve("home").toString(), "LANG", "C.UTF-8"), tmp,
                new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), finder, 4711, tmp.resolve("global"),
                Clock.systemUTC()).run(List.of(arguments), HOST);
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private static CompileResult moduleResult() {
        return new CompileResult(0, bytes("<server>/.systemtap/cache/ab/stap_abc.ko\n"), bytes("Pass 4: done\n"),
                List.of(new ResultFile("stap_abc.ko", bytes("MODULE")), new ResultFile("stap_abc.ko.sgn", bytes("SGN")),
                        new ResultFile("stap_abc_src.c", bytes("C"))), null);
    }

    @Test
    void pass4KeepsTheModuleInTheWorkingDirectory() throws Exception {
        Files.writeString(tmp.resolve("hello.stp"), HELLO);
        try (FakeServer fake = new FakeServer(server, moduleResult())) {
            int status = run("--ssl", trusted.toString(), "--server=127.0.0.1:" + fake.port(), "-p4", "hello.stp", "x");

            assertEquals(0, status, stderr());
            CompileRequest request = fake.request.get(10, TimeUnit.SECONDS);
            String script = "script" + tmp.toRealPath().resolve("hello.stp");
            assertEquals(List.of(script, "-p4", "--", "x"), request.arguments());
            assertEquals(HOST.sysInfo(), request.sysInfo());
            assertEquals(Map.of("LANG", "C.UTF-8"), request.locale());
            assertArrayEquals(bytes(HELLO), request.files().get(0).content());
            assertEquals("Pass 4: done\n", stderr());
            assertEquals("stap_abc.ko\n", stdout(), "the server's module line is replaced by the kept module's name");
            assertArrayEquals(bytes("MODULE"), Files.readAllBytes(tmp.resolve("stap_abc.ko")));
            assertArrayEquals(bytes("SGN"), Files.readAllBytes(tmp.resolve("stap_abc.ko.sgn")));
        }
    }

    @Test
    void aBpfModuleIsKeptLikeAKernelModule() throws Exception {
        CompileResult bpf = new CompileResult(0, bytes("<server>/svc.bo\n"), bytes(""),
                List.of(new ResultFile("svc.bo", bytes("BPF"))), null);
        try (FakeServer fake = new FakeServer(server, bpf)) {
            int status = run("--ssl", trusted.toString(), "--server=127.0.0.1:" + fake.port(), "--runtime=bpf", "-p4",
                    "-msvc", "-e", HELLO);

            assertEquals(0, status, stderr());
            assertEquals("svc.bo\n", stdout());
            assertArrayEquals(bytes("BPF"), Files.readAllBytes(tmp.resolve("svc.bo")));
        }
    }

    @Test
    void theRemoteStatusIsTheExitStatus() throws Exception {
        CompileResult failed = new CompileResult(3, bytes("out\n"), bytes("semantic error\n"), List.of(), null);
        try (FakeServer fake = new FakeServer(server, failed)) {
            found.add(new FoundServer("build1", "127.0.0.1", fake.port(), HOST.sysInfo()));
            assertEquals(3, run("--ssl=" + trusted, "-p2", "-e", HELLO));
            assertEquals("semantic error\n", stderr());
            assertEquals("out\n", stdout());
        }
    }

    @Test
    void aModuleMustComeBackForPass4() throws Exception {
        CompileResult empty = new CompileResult(0, bytes(""), bytes(""), List.of(), null);
        try (FakeServer fake = new FakeServer(server, empty)) {
            assertEquals(1, run("--ssl=" + trusted, "--server", "127.0.0.1:" + fake.port(), "-p4", "-e", HELLO));
            assertTrue(stderr().endsWith("stap-client: ERROR: no module returned by the server\n"), stderr());
        }
    }

    @Test
    void anUntrustedServerIsRefused() throws Exception {
        Path other = tmp.resolve("other");
        authorize(stranger, other);
        try (FakeServer fake = new FakeServer(server, moduleResult())) {
            assertEquals(1, run("--ssl=" + other, "--server=127.0.0.1:" + fake.port(), "-p4", "-e", HELLO));
            assertTrue(stderr().contains("stap-client: Server 127.0.0.1:" + fake.port() + " is not trusted: its certificate"
                    + " (serial " + server.certinfo() + ", SHA-1 fingerprint "), stderr());
            assertTrue(stderr().endsWith("stap-client: ERROR: Unable to connect to a server\n"), stderr());
            assertFalse(Files.exists(tmp.resolve("stap_abc.ko")));
        }
    }

    @Test
    void aGroupWritableDatabaseIsNotUsed() throws Exception {
        Files.setPosixFilePermissions(trusted, PosixFilePermissions.fromString("rwxrwxr-x"));
        assertEquals(1, run("--ssl=" + trusted, "--server=127.0.0.1:1", "-p2", "-e", HELLO));
        assertEquals("stap-client: WARNING: Certificate database '" + trusted + "' is writable by group or others (mode 0775)\n"
                + "stap-client: WARNING: Unable to use certificate database '" + trusted + "' due to errors\n"
                + "stap-client: ERROR: No usable certificate databases found\n", stderr());
    }

    @Test
    void argumentErrorsEndTheClient() {
        assertEquals(1, run("-p2", "--server"));
        assertEquals("stap-client: ERROR: Missing argument to --server\n", stderr());
        err.reset();
        assertEquals(1, run("--ssl=" + trusted, "-p2", "-R", "/tmp/runtime", "-e", HELLO));
        assertTrue(stderr().startsWith("stap-client: ERROR: -R cannot be used with a compile server"), stderr());
        err.reset();
        assertEquals(1, run("--ssl=" + trusted, "-p2", "missing.stp"));
        assertEquals("stap-client: ERROR: Cannot find script file missing.stp\n", stderr());
    }

    @Test
    void withoutServersNothingIsTried() {
        found.add(new FoundServer("build1", "127.0.0.1", 1, new SysInfo("other-release", "x86_64")));
        assertEquals(1, run("--ssl=" + trusted, "-p2", "-e", HELLO));
        assertEquals("stap-client: ERROR: Unable to find a server\n", stderr());
        err.reset();
        assertEquals(1, run("--ssl=" + trusted, "--server=10.0.0.1", "-p2", "-e", HELLO));
        assertEquals("stap-client: WARNING: No server is available on 10.0.0.1\nstap-client: ERROR: Unable to find a server\n",
                stderr());
    }

    @Test
    void onlyTheModuleLineIsRemovedFromStdout() {
        byte[] stdout = bytes("a.ko\n/srv/x/stap_abc.ko\nstap_abc.ko\nkeep stap_abc.ko here\nother.ko");
        assertEquals("a.ko\nkeep stap_abc.ko here\nother.ko",
                new String(StapClient.withoutModuleLine(stdout, "stap_abc.ko"), StandardCharsets.UTF_8));
    }

    @Test
    void tapsetTreesAreSentWholeAndNamedByTheirPath() throws Exception {
        Path tapsets = Files.createDirectories(tmp.resolve("taps/sub"));
        Files.writeString(tapsets.resolve("b.stp"), "b");
        Files.writeString(tmp.resolve("taps/a.stp"), "a");
        CompileRequest request = RequestAssembler.assemble(
                org.stapfarm.protocol.ClientArguments.parse(List.of("-I", "taps", "-a", "i686", "-p2", "-e", HELLO)),
                tmp, new ByteArrayInputStream(new byte[0]), Map.of(), HOST.sysInfo());
        String root = "tapset" + tmp.toRealPath().resolve("taps");
        assertEquals(List.of("-I", root, "-ai686", "-p2", "-e" + HELLO), request.arguments());
        assertEquals(List.of(root + "/a.stp", root + "/sub/b.stp"), request.files().stream().map(f -> f.path()).toList());
        assertEquals(new SysInfo(HOST.sysInfo().release(), "i386"), request.sysInfo());
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static boolean certutil() {
        try {
            return new ProcessBuilder("certutil", "-H").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() >= 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
