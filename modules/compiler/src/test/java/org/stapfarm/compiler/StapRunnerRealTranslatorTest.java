package org.stapfarm.compiler;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.protocol.CompileResult;
import org.stapfarm.protocol.RequestFile;
import org.stapfarm.protocol.ResultFile;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@link StapRunner} with Debian's real translator against a build tree installed on this machine. */
class StapRunnerRealTranslatorTest {

    private static String release;

    @TempDir
    Path temporaryRoot;

    @BeforeAll
    static void findTranslatorAndBuildTree() throws IOException {
        assumeTrue(Files.isExecutable(Fixtures.REAL_STAP), "no SystemTap translator at " + Fixtures.REAL_STAP);
        release = Fixtures.installedRelease().orElse(null);
        assumeTrue(release != null, "no kernel build tree under /lib/modules/*/build; install a linux-headers package");
    }

    private CompileResult compile(List<String> arguments, RequestFile... files) throws Exception {
        TranslatorSettings settings = Fixtures.settings(Fixtures.REAL_STAP, temporaryRoot, Fixtures.LIMITS,
                Duration.ofMinutes(2), System.getenv());
        try (StapRunner runner = new StapRunner(settings)) {
            return runner.compile(Fixtures.request(arguments, Map.of(), List.of(files)),
                    BuildTargets.resolve(release, "x86_64"));
        }
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static List<String> names(CompileResult result) {
        return result.moduleDirectory().stream().map(ResultFile::path).collect(Collectors.toList());
    }

    /** What the translator prints when run by hand, without the server. */
    private String runDirectly(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of(Fixtures.REAL_STAP.toString(), "-r", release));
        command.addAll(List.of(arguments));
        Path out = temporaryRoot.resolve("direct.out");
        Process process = new ProcessBuilder(command).redirectInput(new File("/dev/null"))
                .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue());
        String output = Files.readString(out);
        Files.delete(out);
        return output;
    }

    @Test
    void passOneAndTwoSucceedWithTheSameOutputAsTheTranslatorRunByHand() throws Exception {
        CompileResult pass1 = compile(List.of("-p1", "-e" + Fixtures.HELLO));
        assertEquals(0, pass1.rc(), text(pass1.stderr()));
        assertEquals(runDirectly("-p1", "-e", Fixtures.HELLO), text(pass1.stdout()));

        CompileResult pass2 = compile(List.of("-p2", "-e" + Fixtures.HELLO));
        assertEquals(0, pass2.rc(), text(pass2.stderr()));
        assertEquals(runDirectly("-p2", "-e", Fixtures.HELLO), text(pass2.stdout()));
        assertTrue(text(pass2.stdout()).contains("begin"), text(pass2.stdout()));
        assertTrue(Fixtures.isEmptyDirectory(temporaryRoot), "the per-request directory is removed");
    }

    @Test
    void passThreeReturnsTheGeneratedSourcesAndNoServerPaths() throws Exception {
        CompileResult result = compile(List.of("-v", "-p3", "-e" + Fixtures.HELLO));
        assertEquals(0, result.rc(), text(result.stderr()));
        assertTrue(names(result).stream().anyMatch(name -> name.matches("stap_[0-9a-f]+_[0-9]+_src\\.c")),
                names(result).toString());
        String stderr = text(result.stderr());
        assertTrue(stderr.contains("Pass 3: translated to C into \"<server>/stap000000/stap_"), stderr);
        String server = temporaryRoot.toRealPath().toString();
        assertFalse(stderr.contains(server), stderr);
        assertFalse(text(result.stdout()).contains(server));
        assertFalse(stderr.contains("stap-server."), stderr);
        assertTrue(Fixtures.isEmptyDirectory(temporaryRoot));
    }

    @Test
    void aKernelModuleThatDoesNotCompileIsANormalFailureWithTheCompilerErrors() throws Exception {
        CompileResult result = compile(List.of("-p4", "-e" + Fixtures.HELLO));
        String stderr = text(result.stderr());
        assertNotEquals(0, result.rc());
        assertTrue(stderr.contains("error:"), stderr);
        assertTrue(stderr.contains("Pass 4: compilation failed."), stderr);
        assertTrue(stderr.contains("<server>/stap000000/"), stderr);
        assertFalse(stderr.contains(temporaryRoot.toRealPath().toString()), stderr);
        assertFalse(stderr.startsWith("Server:"), "only the translator's stderr: " + stderr);
        assertTrue(names(result).stream().noneMatch(name -> name.endsWith(".ko")), names(result).toString());
        assertTrue(Fixtures.isEmptyDirectory(temporaryRoot));
    }

    @Test
    void aBpfProgramBuildsAndIsReturnedFromTheModuleDirectory() throws Exception {
        CompileResult result = compile(List.of("--runtime=bpf", "-p4", "-e" + Fixtures.HELLO));
        assertEquals(0, result.rc(), text(result.stderr()));
        // The translator names BPF programs after its pid and prints the bare file name.
        assertEquals(1, result.moduleDirectory().size(), names(result).toString());
        ResultFile program = result.moduleDirectory().get(0);
        assertTrue(program.path().matches("stap_[0-9]+\\.bo"), program.path());
        assertTrue(program.content().length > 0);
        assertEquals(program.path() + "\n", text(result.stdout()));
    }

    @Test
    void aScriptSentAsAFileIsCompiled() throws Exception {
        String path = "script/tmp/x/hello.stp";
        CompileResult result = compile(List.of(path, "-p2"),
                new RequestFile(path, (Fixtures.HELLO + "\n").getBytes(StandardCharsets.UTF_8)));
        assertEquals(0, result.rc(), text(result.stderr()));
        assertTrue(text(result.stdout()).contains("begin"), text(result.stdout()));
        assertTrue(Fixtures.isEmptyDirectory(temporaryRoot));
    }

    @Test
    void optionsTheTranslatorRefusesFromClientsComeBackAsItsOwnError() throws Exception {
        CompileResult result = compile(List.of("-k", "-p2", "-e" + Fixtures.HELLO));
        assertEquals(1, result.rc());
        assertTrue(text(result.stderr()).contains("-k invalid with --client-options"), text(result.stderr()));
    }
}
