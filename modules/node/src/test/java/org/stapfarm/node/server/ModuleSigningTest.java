package org.stapfarm.node.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.protocol.CompileRequest;
import org.stapfarm.protocol.CompileResult;
import org.stapfarm.protocol.Privilege;
import org.stapfarm.protocol.ProtocolVersion;
import org.stapfarm.protocol.ResultFile;
import org.stapfarm.protocol.SysInfo;
import org.stapfarm.security.Certificates;
import org.stapfarm.security.MachineOwnerKey;
import org.stapfarm.security.MokStore;
import org.stapfarm.security.ServerIdentity;

class ModuleSigningTest {

    private static final String MODULE = "stap_0123456789abcdef0123456789abcdef_951.ko";
    private static final byte[] MODULE_BYTES = "\u007fELF the module".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] UPROBES_BYTES = "\u007fELF uprobes".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] MAGIC = "~Module signature appended~\n".getBytes(StandardCharsets.US_ASCII);
    private static final String TRANSLATOR_WARNING = "WARNING: Kernel function symbol table missing [man warning::symbols]\n";

    private static ServerIdentity identity;
    private static MachineOwnerKey mok;
    private static MachineOwnerKey otherMok;

    @TempDir
    Path serverDirectory;

    @BeforeAll
    static void keys() {
        identity = ServerIdentity.generate(List.of("build1", "build1.local"), 2048, ServerIdentity.DEFAULT_VALIDITY,
                Instant.now());
        mok = MachineOwnerKey.generate(2048, Instant.now());
        otherMok = MachineOwnerKey.generate(2048, Instant.now());
    }

    @Test
    void stapdevModulesAreNotSigned() {
        CompileResult result = built(MODULE, MODULE_BYTES);
        assertSame(result, signing().sign(request(List.of()), Privilege.STAPDEV, result));
    }

    @Test
    void belowStapdevTheModuleGetsASgnByTheServerKey() throws Exception {
        for (Privilege privilege : List.of(Privilege.STAPUSR, Privilege.STAPSYS)) {
            CompileResult signed = signing().sign(request(List.of()), privilege, built(MODULE, MODULE_BYTES));

            Map<String, byte[]> files = files(signed);
            assertEquals(List.of(MODULE, MODULE + ".sgn"), List.copyOf(files.keySet()));
            assertArrayEquals(MODULE_BYTES, files.get(MODULE));
            assertTrue(verifies(files.get(MODULE + ".sgn"), MODULE_BYTES));
            assertEquals(0, signed.rc());
            assertEquals(TRANSLATOR_WARNING, new String(signed.stderr(), StandardCharsets.UTF_8));
            assertNull(signed.signingKey());
        }
    }

    @Test
    void uprobesIsSignedWhenPresentAndNotEmpty() throws Exception {
        CompileResult result = new CompileResult(0, new byte[0], new byte[0], List.of(
                new ResultFile(MODULE, MODULE_BYTES), new ResultFile("uprobes/uprobes.ko", UPROBES_BYTES)), null);
        Map<String, byte[]> files = files(signing().sign(request(List.of()), Privilege.STAPUSR, result));
        assertEquals(List.of(MODULE, "uprobes/uprobes.ko", MODULE + ".sgn", "uprobes/uprobes.ko.sgn"),
                List.copyOf(files.keySet()));
        assertTrue(verifies(files.get("uprobes/uprobes.ko.sgn"), UPROBES_BYTES));

        CompileResult empty = new CompileResult(0, new byte[0], new byte[0], List.of(
                new ResultFile(MODULE, MODULE_BYTES), new ResultFile("uprobes/uprobes.ko", new byte[0])), null);
        assertFalse(files(signing().sign(request(List.of()), Privilege.STAPUSR, empty))
                .containsKey("uprobes/uprobes.ko.sgn"));
    }

    @Test
    void aFailedCompileOrAmbiguousModulesGetNoSignature() {
        CompileResult failed = new CompileResult(1, new byte[0], new byte[0], List.of(new ResultFile(MODULE,
                MODULE_BYTES)), null);
        assertEquals(List.of(MODULE), List.copyOf(files(signing().sign(request(List.of()), Privilege.STAPUSR, failed))
                .keySet()));

        CompileResult two = new CompileResult(0, new byte[0], new byte[0], List.of(new ResultFile(MODULE, MODULE_BYTES),
                new ResultFile("other.ko", MODULE_BYTES)), null);
        assertEquals(List.of(MODULE, "other.ko"),
                List.copyOf(files(signing().sign(request(List.of()), Privilege.STAPUSR, two)).keySet()));

        // Only the module in the directory itself counts, as upstream globs stap000000/*.ko.
        CompileResult nested = new CompileResult(0, new byte[0], new byte[0],
                List.of(new ResultFile("sub/stap_x.ko", MODULE_BYTES)), null);
        assertEquals(List.of("sub/stap_x.ko"),
                List.copyOf(files(signing().sign(request(List.of()), Privilege.STAPUSR, nested)).keySet()));
    }

    @Test
    void aMatchingMokSignsTheModuleBeforeTheSgnIsMade() throws Exception {
        MokStore moks = MokStore.in(serverDirectory);
        moks.store(mok);
        CompileResult result = new CompileResult(0, new byte[0], new byte[0], List.of(
                new ResultFile(MODULE, MODULE_BYTES), new ResultFile("uprobes/uprobes.ko", UPROBES_BYTES)), null);

        CompileResult signed = new ModuleSigning(identity, moks).sign(
                request(List.of(otherMok.fingerprint(), mok.fingerprint())), Privilege.STAPUSR, result);

        Map<String, byte[]> files = files(signed);
        assertArrayEquals(mok.signModule(MODULE_BYTES), files.get(MODULE));
        assertArrayEquals(mok.signModule(UPROBES_BYTES), files.get("uprobes/uprobes.ko"));
        assertTrue(endsWith(files.get(MODULE), MAGIC));
        assertTrue(verifies(files.get(MODULE + ".sgn"), files.get(MODULE)));
        assertTrue(verifies(files.get("uprobes/uprobes.ko.sgn"), files.get("uprobes/uprobes.ko")));
        assertEquals(0, signed.rc());
        assertNull(signed.signingKey());
        assertEquals("", new String(signed.stderr(), StandardCharsets.UTF_8));
    }

    @Test
    void aMokIsUsedAtStapdevTooButWithoutSgn() throws Exception {
        MokStore moks = MokStore.in(serverDirectory);
        moks.store(mok);
        Map<String, byte[]> files = files(new ModuleSigning(identity, moks).sign(request(List.of(mok.fingerprint())),
                Privilege.STAPDEV, built(MODULE, MODULE_BYTES)));
        assertEquals(List.of(MODULE), List.copyOf(files.keySet()));
        assertArrayEquals(mok.signModule(MODULE_BYTES), files.get(MODULE));
    }

    /** Vector 08: the reference server's answer when the client has none of its keys enrolled. */
    @Test
    void noCommonMokSendsTheServersKeyAndForcesRcToOne() throws Exception {
        MokStore moks = MokStore.in(serverDirectory);
        moks.store(mok);

        CompileResult signed = new ModuleSigning(identity, moks).sign(request(List.of("missing")), Privilege.STAPDEV,
                built(MODULE, MODULE_BYTES));

        assertEquals(1, signed.rc());
        assertArrayEquals(Certificates.encode(mok.certificate()), signed.signingKey());
        assertEquals(new String(vector("08-mok-missing-returns-signing-key", "response/stderr"), StandardCharsets.UTF_8),
                new String(signed.stderr(), StandardCharsets.UTF_8));
        // The unsigned module stays in the response, as upstream leaves it.
        assertArrayEquals(MODULE_BYTES, files(signed).get(MODULE));
    }

    @Test
    void noCommonMokWithoutAModuleChangesNothing() {
        CompileResult pass2 = new CompileResult(0, "# probes\n".getBytes(StandardCharsets.UTF_8), new byte[0], List.of(),
                null);
        CompileResult signed = signing().sign(request(List.of("missing")), Privilege.STAPUSR, pass2);
        assertEquals(0, signed.rc());
        assertNull(signed.signingKey());
        assertEquals(List.of(), signed.moduleDirectory());
    }

    @Test
    void aServerThatCannotMakeAMokSaysSo() throws Exception {
        // moks/ is a file: no key can be stored.
        Files.writeString(serverDirectory.resolve("moks"), "");
        CompileResult signed = signing().sign(request(List.of("missing")), Privilege.STAPUSR, built(MODULE, MODULE_BYTES));
        assertEquals(1, signed.rc());
        assertNull(signed.signingKey());
        assertTrue(new String(signed.stderr(), StandardCharsets.UTF_8).endsWith("Server: The server has no machine"
                + " owner keys (MOK) in common with this\nsystem. The server could not generate a new MOK.\n"));
        assertTrue(files(signed).containsKey(MODULE + ".sgn"));
    }

    @Test
    void aRenewedIdentitySignsFromThenOn() throws Exception {
        ServerIdentity renewed = ServerIdentity.generate(List.of("build1"), 2048, ServerIdentity.DEFAULT_VALIDITY,
                Instant.now());
        ModuleSigning signing = signing();
        signing.useIdentity(renewed);
        byte[] sgn = files(signing.sign(request(List.of()), Privilege.STAPUSR, built(MODULE, MODULE_BYTES)))
                .get(MODULE + ".sgn");
        Signature verifier = Signature.getInstance("SHA256withRSA");
        verifier.initVerify(renewed.certificate());
        verifier.update(MODULE_BYTES);
        assertTrue(verifier.verify(sgn));
        assertFalse(verifies(sgn, MODULE_BYTES));
    }

    private ModuleSigning signing() {
        return new ModuleSigning(identity, MokStore.in(serverDirectory));
    }

    private static CompileRequest request(List<String> mokFingerprints) {
        return new CompileRequest(ProtocolVersion.parse("4.8"), new SysInfo("6.1.0-56-amd64", "x86_64"),
                List.of("-p4", "-e", "probe begin { exit() }"), Map.of(), mokFingerprints, List.of(), List.of());
    }

    private static CompileResult built(String module, byte[] content) {
        return new CompileResult(0, (module + "\n").getBytes(StandardCharsets.UTF_8),
                TRANSLATOR_WARNING.getBytes(StandardCharsets.UTF_8), List.of(new ResultFile(module, content)), null);
    }

    private static Map<String, byte[]> files(CompileResult result) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        result.moduleDirectory().forEach(file -> files.put(file.path(), file.content()));
        return files;
    }

    private static boolean verifies(byte[] sgn, byte[] module) throws Exception {
        Signature verifier = Signature.getInstance("SHA256withRSA");
        verifier.initVerify(identity.certificate());
        verifier.update(module);
        return verifier.verify(sgn);
    }

    private static boolean endsWith(byte[] bytes, byte[] suffix) {
        return bytes.length >= suffix.length
                && Arrays.equals(Arrays.copyOfRange(bytes, bytes.length - suffix.length, bytes.length), suffix);
    }

    /** A file of the captured exchanges in `shared/spec/vectors`, which sits next to the repository. */
    private static byte[] vector(String vector, String file) throws Exception {
        return Files.readAllBytes(Path.of(System.getProperty("user.dir"))
                .resolve("../../../shared/spec/vectors").normalize().resolve(vector).resolve(file));
    }
}
