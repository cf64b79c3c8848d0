package org.stapfarm.compiler;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.protocol.ProtocolVersion;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class TranslatorTest {

    @TempDir
    Path temp;

    @Test
    void theRealTranslatorReportsTheVersionItsBannerShows() throws Exception {
        assumeTrue(Files.isExecutable(Fixtures.REAL_STAP), "no SystemTap translator at " + Fixtures.REAL_STAP);
        Process process = new ProcessBuilder(Fixtures.REAL_STAP.toString(), "-V").redirectErrorStream(true)
                .redirectInput(new File("/dev/null")).start();
        String banner = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));

        Translator translator = Translator.probe(Fixtures.REAL_STAP);

        assertTrue(banner.contains("(version " + translator.version() + "/"), banner);
        assertTrue(banner.startsWith(translator.versionLine()), translator.versionLine());
        assertTrue(translator.version().compareTo(ProtocolVersion.VERSIONED) > 0);
        assertEquals(translator.fingerprint(), translator.fingerprint());
    }

    @Test
    void readsTheVersionFromTheBannerOnStderr() throws Exception {
        Translator translator = Translator.probe(Fixtures.fakeTranslator("prints-version", temp));
        assertEquals(ProtocolVersion.parse("9.17"), translator.version());
        assertEquals("Systemtap translator/driver (version 9.17/0.190, test double)", translator.versionLine());
    }

    @Test
    void theFingerprintChangesWhenTheTranslatorIsReplaced() throws Exception {
        Path executable = Fixtures.fakeTranslator("prints-version", temp);
        Translator translator = Translator.probe(executable);
        String before = translator.fingerprint();
        Files.setLastModifiedTime(executable, FileTime.fromMillis(Files.getLastModifiedTime(executable).toMillis() - 60_000));
        assertNotEquals(before, translator.fingerprint());
    }

    @Test
    void aMissingTranslatorIsExplained() {
        Path missing = temp.resolve("no-such-stap");
        CompilerSetupException e = assertThrows(CompilerSetupException.class, () -> Translator.probe(missing));
        assertEquals("no SystemTap translator at " + missing
                + " (not an executable file); install systemtap or configure the translator path", e.getMessage());
    }

    @Test
    void aProgramThatIsNotTheTranslatorIsRefused() throws Exception {
        Path echo = temp.resolve("not-stap");
        Files.writeString(echo, "#!/bin/sh\n# Test double: a program that is not the translator.\necho hello\n");
        echo.toFile().setExecutable(true);
        CompilerSetupException e = assertThrows(CompilerSetupException.class, () -> Translator.probe(echo));
        assertEquals(echo + " -V did not print a SystemTap version ('hello'); is it the SystemTap translator?",
                e.getMessage());
    }
}
