package org.stapfarm.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.stapfarm.protocol.TestZips.bytes;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Requests built to hurt the server: each must be refused with a message the user can act on. */
class RequestCodecHostileTest {

    private static final RequestLimits LIMITS = new RequestLimits(64L << 20, 1L << 20, 50);
    private static final RequestCodec CODEC = new RequestCodec(LIMITS);

    private static String rejection(byte[] zip) {
        return assertThrows(RequestRejectedException.class, () -> CODEC.decode(zip)).getMessage();
    }

    private static String rejection(Map<String, byte[]> entries) {
        return rejection(TestZips.zip(entries));
    }

    private static Map<String, byte[]> minimalWith(String name, String content) {
        Map<String, byte[]> entries = TestZips.minimalRequest();
        entries.put(name, bytes(content));
        return entries;
    }

    @Test
    void theMinimalRequestIsAccepted() throws Exception {
        CompileRequest request = CODEC.decode(TestZips.zip(TestZips.minimalRequest()));
        assertEquals(List.of("-p2", "-eprobe begin { exit() }"), request.arguments());
    }

    @Test
    void randomBytesAndEmptyInputAreNotZips() {
        byte[] noise = new byte[4096];
        new Random(42).nextBytes(noise);
        assertTrue(rejection(noise).startsWith("the request is not a valid zip archive"));
        assertTrue(rejection(new byte[0]).startsWith("the request is not a valid zip archive"));
    }

    @Test
    void aCorruptedEntryIsRefused() {
        byte[] zip = TestZips.storedZip(TestZips.minimalRequest());
        byte[] damaged = TestZips.rename(zip, "-p2", "-p3");
        assertEquals("the request is not a valid zip archive: entry 'argv1' fails its CRC check", rejection(damaged));
    }

    @Test
    void anArchiveWithoutBytesIsEmpty() {
        assertEquals("the request is empty", rejection(Map.of()));
        assertEquals("the request is empty", rejection(Map.of("script/", new byte[0])));
    }

    @Test
    void parentDirectoryEntryIsRefused() {
        assertEquals("request entry 'script/../../x' has an unsafe name: it has a '..' component",
                rejection(minimalWith("script/../../x", "evil")));
    }

    @Test
    void absoluteEntryIsRefused() {
        assertEquals("request entry '/etc/cron.d/x' has an unsafe name: it is absolute",
                rejection(minimalWith("/etc/cron.d/x", "evil")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"script//x", "script/./x", "script\\x", "script/x\u0000y"})
    void otherUnsafeNamesAreRefused(String name) {
        assertTrue(rejection(minimalWith(name, "x")).contains("has an unsafe name"));
    }

    @Test
    void symbolicLinkEntryIsRefused() {
        byte[] zip = TestZips.withUnixMode(TestZips.zip(minimalWith("script/home/demo/x.stp", "/etc/shadow")),
                "script/home/demo/x.stp", 0120777);
        assertEquals("request entry 'script/home/demo/x.stp' is a symbolic link; "
                + "only regular files and directories are accepted", rejection(zip));
    }

    @Test
    void symbolicLinkStoredByInfoZipIsRefused(@TempDir Path directory) throws Exception {
        for (Map.Entry<String, byte[]> entry : TestZips.minimalRequest().entrySet()) {
            Files.write(directory.resolve(entry.getKey()), entry.getValue());
        }
        Files.createDirectories(directory.resolve("script"));
        Files.createSymbolicLink(directory.resolve("script/x.stp"), Path.of("/etc/hostname"));
        Path zip = directory.resolve("request.zip");
        Process process = run(directory, "zip", "-qry", zip.toString(), "version", "sysinfo", "argv1", "argv2",
                "locale", "script");
        assumeTrue(process != null, "Info-ZIP zip is not installed");
        assertEquals(0, process.waitFor());

        assertEquals("request entry 'script/x.stp' is a symbolic link; "
                + "only regular files and directories are accepted", rejection(Files.readAllBytes(zip)));
    }

    @Test
    void fifoEntryIsRefused() {
        byte[] zip = TestZips.withUnixMode(TestZips.zip(minimalWith("script/fifo", "")), "script/fifo", 0010644);
        assertTrue(rejection(zip).contains("is a device or other special file"));
    }

    @Test
    void regularFileModeIsAccepted() throws Exception {
        byte[] zip = TestZips.withUnixMode(TestZips.zip(minimalWith("script/x.stp", "probe begin {}")),
                "script/x.stp", 0100644);
        assertEquals("script/x.stp", CODEC.decode(zip).files().get(0).path());
    }

    @Test
    void duplicateNamesAreRefused() {
        byte[] zip = TestZips.rename(TestZips.zip(minimalWith("argvX", "-p4")), "argvX", "argv1");
        assertEquals("request entry 'argv1' appears more than once", rejection(zip));
    }

    @Test
    void namesBeyondTheFileSystemsBoundsAreRefusedPromptly() {
        String deep = "script/" + "ddd/".repeat(1100) + "x.stp";
        String tooDeep = "script/" + "d/".repeat(EntryPaths.MAX_DEPTH) + "x.stp";
        String longComponent = "script/" + "c".repeat(EntryPaths.MAX_COMPONENT_LENGTH + 1);
        assertTimeoutPreemptively(java.time.Duration.ofSeconds(2), () -> {
            String message = rejection(minimalWith(deep, ""));
            assertTrue(message.endsWith("is longer than 4096 characters"), message);
            assertTrue(rejection(minimalWith(tooDeep, "")).endsWith("is nested deeper than 128 directories"));
            assertTrue(rejection(minimalWith(longComponent, "")).endsWith("has a component longer than 255 characters"));
        });
    }

    @Test
    void aFileUsedAsADirectoryIsRefused() {
        Map<String, byte[]> entries = minimalWith("script/x", "a");
        entries.put("script/x/y", bytes("b"));
        assertEquals("request entry 'script/x/y' is needed both as a file and as a directory", rejection(entries));
    }

    @ParameterizedTest
    @ValueSource(strings = {"etc/passwd", "argv0", "argv01", "Version", "script", ".bashrc"})
    void unknownTopLevelNamesAreRefused(String name) {
        assertEquals("request entry '" + name + "' is not part of the compile-server protocol",
                rejection(minimalWith(name, "x")));
    }

    @Test
    void unknownTopLevelDirectoryIsRefused() {
        assertEquals("request entry 'home/' is not part of the compile-server protocol",
                rejection(minimalWith("home/", "")));
    }

    @Test
    void zipBombIsStoppedAtTheLimitWithoutInflatingEverything() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> entry : TestZips.minimalRequest().entrySet()) {
                zip.putNextEntry(new ZipEntry(entry.getKey()));
                zip.write(entry.getValue());
            }
            zip.putNextEntry(new ZipEntry("script/bomb.stp"));
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 1024; i++) {
                zip.write(zeros);
            }
        }
        byte[] bomb = bytes.toByteArray();
        assertTrue(bomb.length < 4 << 20, "1 GiB of zeros should deflate to a few MiB, got " + bomb.length);

        String message = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> rejection(bomb));
        assertEquals("the request unpacks to more than the server's limit of 1048576 bytes", message);
    }

    @Test
    void declaredSizesAreNotTrusted() {
        Map<String, byte[]> entries = minimalWith("script/x.stp", "x".repeat(2 << 20));
        byte[] lying = TestZips.withDeclaredSize(TestZips.zip(entries), "script/x.stp", 10);
        assertEquals("the request unpacks to more than the server's limit of 1048576 bytes", rejection(lying));

        byte[] understated = TestZips.withDeclaredSize(TestZips.zip(minimalWith("script/x.stp", "abc")),
                "script/x.stp", 2);
        assertEquals("the request is not a valid zip archive: entry 'script/x.stp' does not have the size "
                + "the archive says", rejection(understated));
    }

    @Test
    void aCompressedRequestOverTheLimitIsRefused() {
        RequestCodec tight = new RequestCodec(new RequestLimits(100, 1 << 20, 50));
        RequestRejectedException e = assertThrows(RequestRejectedException.class,
                () -> tight.decode(TestZips.zip(TestZips.minimalRequest())));
        assertEquals("the request is larger than the server's limit of 100 compressed bytes", e.getMessage());
    }

    @Test
    void tooManyEntriesAreRefused() {
        Map<String, byte[]> entries = TestZips.minimalRequest();
        for (int i = 0; i < 50; i++) {
            entries.put("script/f" + i, bytes("x"));
        }
        assertEquals("the request has more than the server's limit of 50 entries", rejection(entries));
    }

    @Test
    void missingSysinfoIsRefused() {
        Map<String, byte[]> entries = TestZips.minimalRequest();
        entries.remove("sysinfo");
        assertEquals("the request has no sysinfo file", rejection(entries));
    }

    @ParameterizedTest
    @ValueSource(strings = {"6.1.0-47-amd64 x86_64", "sysinfo: 6.1.0-47-amd64", "sysinfo: a b c", ""})
    void malformedSysinfoIsRefused(String sysinfo) {
        assertTrue(rejection(minimalWith("sysinfo", sysinfo)).contains("is not of the form 'sysinfo: RELEASE ARCH'"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "/lib", "..", ".", "6.1.0-47-AMD64", "6.1;rm"})
    void releasesThatAreNotReleaseNamesAreRefused(String release) {
        assertEquals("the requested kernel release '" + release
                        + "' is not a release name (letters a-z, digits and _.+- only)",
                rejection(minimalWith("sysinfo", "sysinfo: " + release + " x86_64")));
    }

    @Test
    void badArchitectureIsRefused() {
        assertTrue(rejection(minimalWith("sysinfo", "sysinfo: 6.1.0 ../x86")).startsWith("the requested architecture"));
    }

    @Test
    void trailingNewlineInSysinfoIsTolerated() throws Exception {
        CompileRequest request = CODEC.decode(TestZips.zip(minimalWith("sysinfo", "sysinfo: 6.1.0-47-amd64 x86_64\n")));
        assertEquals(new SysInfo("6.1.0-47-amd64", "x86_64"), request.sysInfo());
    }

    @Test
    void argumentGapIsRefused() {
        Map<String, byte[]> entries = minimalWith("argv4", "-v");
        assertEquals("the request has argv4 but no argv3; argument files must be numbered from 1 without gaps",
                rejection(entries));
    }

    @Test
    void missingFirstArgumentIsRefused() {
        Map<String, byte[]> entries = TestZips.minimalRequest();
        entries.remove("argv1");
        assertTrue(rejection(entries).startsWith("the request has argv2 but no argv1"));
        entries.remove("argv2");
        assertEquals("the request has no arguments (argv1 is missing)", rejection(entries));
    }

    @Test
    void nonUtf8ArgumentIsRefused() {
        Map<String, byte[]> entries = TestZips.minimalRequest();
        entries.put("argv2", new byte[] {'-', 'e', (byte) 0xC3, '('});
        assertEquals("the request's argv2 file is not valid UTF-8", rejection(entries));
    }

    @Test
    void nulInArgumentIsRefused() {
        assertEquals("argv1 contains a NUL character", rejection(minimalWith("argv1", "-p2\u0000--sign-module")));
    }

    @Test
    void unparsableVersionIsRefused() {
        assertEquals("the request's version '4.8a' is not a dotted decimal number",
                rejection(minimalWith("version", "4.8a")));
    }

    @Test
    void versionIsReadWithoutSurroundingWhiteSpace() throws Exception {
        assertEquals(ProtocolVersion.parse("5.4"),
                CODEC.decode(TestZips.zip(minimalWith("version", "5.4\n"))).clientVersion());
    }

    @Test
    void legacyClientsHaveTheirLocaleAndMokFilesIgnored() throws Exception {
        Map<String, byte[]> entries = minimalWith("locale", "TERM=xterm\n");
        entries.remove("version");
        entries.put("mok_fingerprints", bytes("nonsense\n"));

        CompileRequest request = CODEC.decode(TestZips.zip(entries));

        assertEquals(ProtocolVersion.LEGACY, request.clientVersion());
        assertEquals(Map.of(), request.locale());
        assertEquals(List.of(), request.mokFingerprints());
        assertEquals(List.of(), request.serverMessages());
    }

    @Test
    void localeEdgeCases() throws Exception {
        CompileRequest request = CODEC.decode(TestZips.zip(minimalWith("locale",
                "LANG=C\n\nLC_ALL=a=b\nLANG=en_US.UTF-8\nLC_CTYPE=\nLC_TIME=x y")));

        assertEquals(Map.of("LANG", "en_US.UTF-8", "LC_ALL", "a=b", "LC_CTYPE", ""), request.locale());
        assertEquals(List.of("Localization key=value line '' cannot be parsed",
                "Localization value 'x y' contains illegal characters"), request.serverMessages());
    }

    private static Process run(Path directory, String... command) throws IOException {
        try {
            return new ProcessBuilder(command).directory(directory.toFile()).inheritIO().start();
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("No such file")) {
                return null;
            }
            throw e;
        }
    }
}
