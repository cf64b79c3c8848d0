package org.stapfarm.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.config.ConfigFile;
import org.stapfarm.config.ConfigFile.ConfigFileException;

/** Words, the command line, the global parameters, the per-script files and the dependency graph. */
class ParsingTest {

    @TempDir
    Path tmp;

    @Test
    void wordsAreSplitWithShellQuotingAndJoinedBack() {
        assertEquals(List.of("-v", "a b", "it's", "x\"y", "ab c"), Words.split(" -v 'a b'\tit\"'\"s 'x\"y' a'b c' "));
        assertEquals(List.of(""), Words.split("''"));
        assertThrows(IllegalArgumentException.class, () -> Words.split("-c 'unclosed"));
        List<String> words = List.of("-v", "a b", "it's", "", "-DX=\"1\"");
        assertEquals(words, Words.split(Words.join(words)));
        assertEquals("-v -DFOO=1 /a/b.stp", Words.join(List.of("-v", "-DFOO=1", "/a/b.stp")));
    }

    @Test
    void commandLinesAreReadLikeGetoptReadsThem() throws Exception {
        CommandLine line = CommandLine.parse(List.of("compile", "a", "-r6.1.0-x", "-yR", "b", "-c", "/etc/x", "--",
                "c"));
        assertEquals("compile", line.command());
        assertEquals(Optional.of("6.1.0-x"), line.release());
        assertEquals(Optional.of(Path.of("/etc/x")), line.configFile());
        assertTrue(line.recursive() && line.yes());
        assertEquals(List.of("a", "b", "c"), line.scripts());

        for (List<String> bad : List.of(List.<String>of(), List.of("begin"), List.of("start", "-q"),
                List.of("start", "-c"), List.of("status", "-r", "6.1"), List.of("start", "a.stp"))) {
            assertThrows(CommandLine.UsageException.class, () -> CommandLine.parse(bad), bad.toString());
        }
    }

    @Test
    void globalParametersAreDataWithStrictValues() throws Exception {
        ServiceSettings settings = ServiceSettings.defaults().with(ConfigFile.parse("config",
                "# comment\nPASSALL=no\nRECURSIVE=Y\nAUTOCOMPILE=0\nALLOW_CACHEONLY=yes\nDEFAULT_START=\"a b\"\n"
                        + "DEFAULT_START+=c\nCOMPILE_SERVER='build1:30500 [::1]:30501'\nSTAT_PATH=/run/st\n"));
        assertEquals(false, settings.passAll());
        assertEquals(true, settings.recursive());
        assertEquals(false, settings.autoCompile());
        assertEquals(true, settings.allowCacheOnly());
        assertEquals(List.of("a", "b", "c"), settings.defaultStart());
        assertEquals(List.of("build1:30500", "[::1]:30501"), settings.compileServers());
        assertEquals(Path.of("/run/st"), settings.statPath());
        assertEquals(Path.of("/var/cache/systemtap"), settings.cachePath());

        for (String bad : List.of("AUTOCOMPILE=maybe", "PASSAL=yes", "LOG_FILE=", "PASSALL+=yes",
                "DEFAULT_START=bad-name", "STAPRUN=", "SCRIPT_PATH=\"/unclosed")) {
            assertThrows(ConfigFileException.class,
                    () -> ServiceSettings.defaults().with(ConfigFile.parse("config", bad + "\n")), bad);
        }
    }

    @Test
    void perScriptFilesAreReadInNameOrder() throws Exception {
        Files.writeString(tmp.resolve("b.conf"), "a_OPT+=-DB=2\nb_REQ=a\n");
        Files.writeString(tmp.resolve("a.conf"), "a_OPT=\"-v -DA=1\"\na_REQ=x\n");
        Files.writeString(tmp.resolve("ignored.txt"), "not a config file\n");
        ScriptConfigs configs = ScriptConfigs.read(tmp);
        assertEquals(List.of("-v", "-DA=1", "-DB=2"), configs.options("a").compileOptions());
        assertEquals(List.of("a"), configs.requirements("b"));
        assertEquals(List.of("x"), configs.requirements("a"));
        assertEquals(ScriptOptions.NONE, configs.options("c"));
        assertEquals(Map.of("a", List.of("x"), "b", List.of("a")), configs.allRequirements());

        Files.writeString(tmp.resolve("c.conf"), "c_REQ=\"a bad-name\"\n");
        assertTrue(assertThrows(ConfigFileException.class, () -> ScriptConfigs.read(tmp)).getMessage()
                .contains("c.conf:1: c_REQ: bad-name is not a valid script name"));
        Files.writeString(tmp.resolve("c.conf"), "PASSALL=no\n");
        assertTrue(assertThrows(ConfigFileException.class, () -> ScriptConfigs.read(tmp)).getMessage()
                .contains("c.conf:1: unknown variable PASSALL"));
        Files.delete(tmp.resolve("c.conf"));
        assertEquals(List.of(), ScriptConfigs.read(tmp.resolve("missing")).requirements("a"));
    }

    @Test
    void dependencyOrderVisitsEachScriptOnce() {
        Dependencies dependencies = new Dependencies(Map.of("e", List.of("b", "c"), "b", List.of("a"),
                "c", List.of("a")));
        assertEquals(List.of("a", "b", "c", "e"), dependencies.startOrder(dependencies.withRequirements(List.of("e"))),
                "upstream's order was a b a c e");
        assertEquals(List.of("e", "c", "b", "a"), dependencies.stopOrder(List.of("a", "b", "c", "e")));
        assertEquals(List.of("b", "e"), dependencies.startOrder(List.of("e", "b")), "only the given names");
        assertEquals(List.of("a", "b", "c", "e"), List.copyOf(dependencies.withDependents(List.of("a"),
                List.of("b", "c", "e"))));
        assertEquals(List.of("c", "e"), List.copyOf(dependencies.withDependents(List.of("c"), List.of("b", "e"))));
        assertEquals(Optional.empty(), dependencies.cycle());

        Dependencies loop = new Dependencies(Map.of("a", List.of("b"), "b", List.of("c"), "c", List.of("a"),
                "d", List.of("d")));
        assertEquals(Optional.of("a -> b -> c -> a"), loop.cycle());
        assertEquals(Optional.of("d -> d"), new Dependencies(Map.of("d", List.of("d"))).cycle());
    }

    @Test
    void kernelIdentityComesFromTheBuildTree() throws Exception {
        Path tree = tmp.resolve("build");
        Files.createDirectories(tree.resolve("include/generated"));
        assertEquals(new KernelIdentity("6.1.0-x", "x86_64", ""),
                KernelIdentity.ofBuildTree("6.1.0-x", "x86_64", tree));
        Files.writeString(tree.resolve("include/generated/compile.h"), "#define UTS_VERSION \"#1 SMP Old\"\n");
        assertEquals("#1 SMP Old", KernelIdentity.ofBuildTree("6.1.0-x", "x86_64", tree).version());
        Files.writeString(tree.resolve("include/generated/utsversion.h"), "#define UTS_VERSION \"#2 SMP New\"\n");
        KernelIdentity built = KernelIdentity.ofBuildTree("6.1.0-x", "x86_64", tree);
        assertEquals("#2 SMP New", built.version());

        assertEquals(Optional.empty(), built.mismatch(new KernelIdentity("6.1.0-x", "x86_64", "")),
                "an unknown version is not compared");
        assertEquals(Optional.empty(), new KernelIdentity("6.1.0-x", "x86_64", "").mismatch(built));
        assertTrue(built.mismatch(new KernelIdentity("6.1.0-x", "x86_64", "#3")).orElseThrow().contains("version"));
        assertTrue(built.mismatch(new KernelIdentity("6.1.0-y", "x86_64", "")).orElseThrow().contains("release"));
        assertTrue(built.mismatch(new KernelIdentity("6.1.0-x", "arm64", "")).orElseThrow().contains("machine"));
    }
}
