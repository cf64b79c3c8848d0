package org.stapfarm.compiler;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.protocol.CompileRequest;
import org.stapfarm.protocol.ProtocolVersion;
import org.stapfarm.protocol.RequestFile;
import org.stapfarm.protocol.SysInfo;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CompileKeyTest {

    private static final String SCRIPT_PATH = "script/home/u/hello.stp";

    @TempDir
    Path temp;

    private Path tree;
    private BuildTarget target;
    private Translator translator;
    private TranslatorSettings settings;

    @BeforeEach
    void fakeBuildTreeAndTranslator() throws Exception {
        tree = temp.resolve("linux-6.1");
        Files.createDirectories(tree.resolve("include/config"));
        Files.createDirectories(tree.resolve("include/generated"));
        Files.writeString(tree.resolve("include/config/kernel.release"), "6.1.0-test\n");
        Files.writeString(tree.resolve("include/generated/autoconf.h"), "#define CONFIG_X 1\n");
        Files.writeString(tree.resolve(".config"), "CONFIG_X=y\n");
        target = BuildTargets.resolve(tree.toString(), "x86_64");
        translator = Translator.probe(Fixtures.fakeTranslator("prints-version", temp));
        settings = settingsWith(List.of("-DMAXACTION=1000"));
    }

    private TranslatorSettings settingsWith(List<String> serverOptions) {
        return new TranslatorSettings(translator.executable(), serverOptions, temp, Fixtures.LIMITS,
                Duration.ofMinutes(1), 1000, false, Map.of());
    }

    private static CompileRequest request(String script, List<String> arguments, Map<String, String> locale,
                                          String clientVersion, List<String> moks, List<String> messages) {
        return new CompileRequest(ProtocolVersion.parse(clientVersion), new SysInfo("6.1.0-test", "x86_64"), arguments,
                locale, moks, List.of(new RequestFile(SCRIPT_PATH, script.getBytes(StandardCharsets.UTF_8))), messages);
    }

    private static CompileRequest request() {
        return request(Fixtures.HELLO, List.of(SCRIPT_PATH, "-p4"), Map.of("LANG", "C"), "4.8", List.of(), List.of());
    }

    private CompileKey key(CompileRequest request) throws Exception {
        return CompileKey.of(request, target, settings, translator);
    }

    @Test
    void theSameRequestGivesTheSameKey() throws Exception {
        CompileKey key = key(request());
        assertEquals(key, key(request()));
        assertTrue(key.sha256().matches("[0-9a-f]{64}"), key.sha256());
    }

    @Test
    void whatOnlyPerRequestStepsUseDoesNotChangeTheKey() throws Exception {
        assertEquals(key(request()), key(request(Fixtures.HELLO, List.of(SCRIPT_PATH, "-p4"), Map.of("LANG", "C"), "5.4",
                List.of("missing"), List.of("Server: Localization key 'X' not found in global list"))));
    }

    @Test
    void aChangedScriptByteOptionOrLocaleChangesTheKey() throws Exception {
        CompileKey key = key(request());
        assertNotEquals(key, key(request(Fixtures.HELLO.replace('!', '?'), List.of(SCRIPT_PATH, "-p4"),
                Map.of("LANG", "C"), "4.8", List.of(), List.of())));
        assertNotEquals(key, key(request(Fixtures.HELLO, List.of(SCRIPT_PATH, "-p3"), Map.of("LANG", "C"), "4.8",
                List.of(), List.of())));
        assertNotEquals(key, key(request(Fixtures.HELLO, List.of(SCRIPT_PATH, "-p4"), Map.of("LANG", "de_DE.UTF-8"),
                "4.8", List.of(), List.of())));
    }

    @Test
    void aChangedServerOptionChangesTheKey() throws Exception {
        CompileKey key = key(request());
        settings = settingsWith(List.of("-DMAXACTION=2000"));
        assertNotEquals(key, key(request()));
    }

    @Test
    void anUpdatedBuildTreeChangesTheKey() throws Exception {
        CompileKey key = key(request());
        Path autoconf = tree.resolve("include/generated/autoconf.h");
        Files.setLastModifiedTime(autoconf, FileTime.fromMillis(Files.getLastModifiedTime(autoconf).toMillis() + 1000));
        assertNotEquals(key, key(request()));
    }

    @Test
    void aChangedFileInAServerTapsetDirectoryChangesTheKey() throws Exception {
        Path tapsets = Files.createDirectories(temp.resolve("tapsets"));
        Files.writeString(tapsets.resolve("site.stp"), "function f() { }\n");
        settings = settingsWith(List.of("-I" + tapsets));
        CompileKey key = key(request());
        assertEquals(key, key(request()));
        Files.writeString(tapsets.resolve("site.stp"), "function f() { return 1 }\n");
        assertNotEquals(key, key(request()));
    }
}
