package org.stapfarm.compiler;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BuildTargetsTest {

    @TempDir
    Path temp;

    @Test
    void aReleaseUsesTheBuildLinkUnderTheModulesRoot() throws Exception {
        Path tree = Files.createDirectories(temp.resolve("modules/6.1.0-9-amd64/build"));
        BuildTarget target = BuildTargets.resolve("6.1.0-9-amd64", "x86_64", temp.resolve("modules"));
        assertEquals(new BuildTarget("6.1.0-9-amd64", "x86_64", tree, false), target);
        assertEquals("6.1.0-9-amd64", target.translatorReleaseArgument());
    }

    @Test
    void aPathIsABuildTreeWhoseReleaseIsReadFromIt() throws Exception {
        Path tree = temp.resolve("linux-6.9");
        Files.createDirectories(tree.resolve("include/config"));
        Files.writeString(tree.resolve("include/config/kernel.release"), "6.9.0-custom\n");
        BuildTarget target = BuildTargets.resolve(tree.toString(), "arm64", temp.resolve("modules"));
        assertEquals(new BuildTarget("6.9.0-custom", "arm64", tree, true), target);
        assertEquals(tree.toString(), target.translatorReleaseArgument());
    }

    @Test
    void aMissingBuildTreeIsExplainedInOneLine() {
        CompilerSetupException e = assertThrows(CompilerSetupException.class,
                () -> BuildTargets.resolve("5.10.0-1-amd64", "x86_64", temp.resolve("modules")));
        assertEquals("no kernel build tree for release 5.10.0-1-amd64 at " + temp.resolve("modules/5.10.0-1-amd64/build")
                + "; install linux-headers-5.10.0-1-amd64 or pass -r /path/to/tree", e.getMessage());
    }

    @Test
    void aTreeWithoutKernelReleaseIsExplained() throws Exception {
        Path tree = Files.createDirectories(temp.resolve("unconfigured"));
        CompilerSetupException e = assertThrows(CompilerSetupException.class,
                () -> BuildTargets.resolve(tree.toString(), "x86_64"));
        assertTrue(e.getMessage().contains(tree.resolve("include/config/kernel.release").toString()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void aReleaseCannotClimbOutOfTheModulesRoot() throws Exception {
        Files.createDirectories(temp.resolve("build"));
        Files.createDirectories(temp.resolve("modules"));
        for (String release : new String[] {"..", "../x", "a/b", "", "6.1 0"}) {
            assertThrows(CompilerSetupException.class,
                    () -> BuildTargets.resolve(release, "x86_64", temp.resolve("modules")), release);
        }
    }

    @Test
    void theRunningReleaseIsWhatUnameSays() throws Exception {
        Process uname = new ProcessBuilder("uname", "-r").redirectInput(new File("/dev/null")).start();
        assertTrue(uname.waitFor(10, TimeUnit.SECONDS));
        String expected = new String(uname.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        assertEquals(expected, BuildTargets.runningRelease());
    }
}
