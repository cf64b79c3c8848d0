package org.stapfarm.dist;

import static org.stapfarm.dist.StapClient.HELLO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Passes 1-3 through a stapfarm server print what the same `stap` prints when it runs them itself, for
 * the same release and as the same user.
 *
 * <p>Systematic differences found (and the only ones normalised away below):
 * <ul>
 *   <li>A script file reaches the translator as `script/<absolute client path>` and a `-I` directory as
 *       `tapset/<absolute client path>` (protocol spec 2.2/2.3), so every source location in the output
 *       carries that prefix: `# file script/tmp/...` at -p1, `/* source: script/tmp/...:14 *&#47;` comments,
 *       `c->last_stmt` strings and `STAP_PROBE_INIT(...)` locations at -p3.</li>
 *   <li>At -p3, the generated `const char location[N]` member is sized by the longest location string,
 *       so N is larger by the length of the prefix "script" (6) when that string names the script file.</li>
 *   <li>Module names are NOT a difference: `-p1`..`-p3` stdout never contains the module name, and the
 *       `stap_<hash>_<n>` name the translator picks (visible with -v) is the same locally and on the
 *       server, because the hash does not cover the script's path. No `-m` is needed for parity.</li>
 *   <li>In C string literals (`c->last_stmt`, `STAP_PROBE_INIT`) the translator writes non-ASCII bytes
 *       of a path as octal escapes, so there the prefix precedes the escaped form of the path.</li>
 *   <li>stderr is identical for successful runs (the translator's warnings, relayed verbatim).</li>
 * </ul>
 */
class LocalParityIT {

    private static final Pattern PASS_3 = Pattern.compile("Pass 3: translated to C into \"(.*)/([^/\"]+)_src\\.c\"");
    private static final Pattern LOCATION_SIZE = Pattern.compile("const char location\\[(\\d+)\\];");

    private static ServerProcess server;
    private static String release;
    private static StapClient client;
    private static Path parityScript;
    private static Path argsScript;
    private static Path oddlyNamedScript;
    private static Path tapsets;

    @BeforeAll
    static void startServer() throws Exception {
        release = Releases.first();
        server = ServerProcess.start(List.of("-r", release), Map.of());
        client = StapClient.trusting(server);
        Path scripts = TestFiles.directory("scripts-");
        parityScript = TestFiles.copy("scripts/parity.stp", scripts);
        argsScript = TestFiles.copy("scripts/args.stp", scripts);
        tapsets = TestFiles.directory("tapsets-");
        TestFiles.copy("scripts/tapsets/stapfarm_greet.stp", tapsets);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @ParameterizedTest(name = "-p{0}")
    @ValueSource(ints = {1, 2, 3})
    void helloWorldMatchesTheLocalRun(int pass) throws Exception {
        StapClient.Result local = local("-p" + pass, "-e", HELLO);
        StapClient.Result remote = viaServer("-p" + pass, "-e", HELLO);

        assertEquals(0, local.exitCode(), local.stderr());
        assertEquals(0, remote.exitCode(), remote.stderr());
        assertFalse(remote.stdout().isBlank());
        // An -e script is `<input>` on both sides: not even a path differs.
        assertEquals(local.stdout(), remote.stdout());
        assertEquals(local.stderr(), remote.stderr());
    }

    @ParameterizedTest(name = "-p{0}")
    @ValueSource(ints = {1, 2, 3})
    void scriptFileMatchesTheLocalRunExceptForTheServerSideName(int pass) throws Exception {
        String path = parityScript.toString();
        StapClient.Result local = local("-p" + pass, path);
        StapClient.Result remote = viaServer("-p" + pass, path);

        assertEquals(0, local.exitCode(), local.stderr());
        assertEquals(0, remote.exitCode(), remote.stderr());
        assertEquals(local.stderr(), remote.stderr());
        if (pass == 1) {
            assertTrue(remote.stdout().contains("# file script" + path + "\n"), remote.stdout());
            assertTrue(local.stdout().contains("# file " + path + "\n"), local.stdout());
        }
        if (pass == 2) {
            // Nothing at -p2 names the file: the output is the same byte for byte.
            assertEquals(local.stdout(), remote.stdout());
            assertTrue(remote.stdout().contains("describe:string (name:string, n:long)"), remote.stdout());
        }
        if (pass == 3) {
            assertTrue(remote.stdout().contains("/* source: script" + path + ":"), head(remote.stdout()));
            int localSize = locationSize(local.stdout());
            int remoteSize = locationSize(remote.stdout());
            assertEquals("script".length(), remoteSize - localSize,
                    "location[] grows by the length of the 'script' prefix");
        }
        assertEquals(local.stdout(), normalise(remote.stdout(), path, null));
    }

    /** A script path with a space and non-ASCII characters survives the trip as `script/<path>`. */
    @ParameterizedTest(name = "-p{0}")
    @ValueSource(ints = {1, 3})
    void aScriptPathWithSpacesAndNonAsciiCharactersMatchesTheLocalRun(int pass) throws Exception {
        String path = oddlyNamedScript().toString();
        StapClient.Result local = local("-p" + pass, path);
        StapClient.Result remote = viaServer("-p" + pass, path);

        assertEquals(0, local.exitCode(), local.stderr());
        assertEquals(0, remote.exitCode(), remote.stderr());
        assertTrue(remote.stdout().contains("script" + path), head(remote.stdout()));
        assertEquals(local.stdout(), normalise(remote.stdout(), path, null));
    }

    /** `<dir>/dir \u00fc/my scr\u00efpt \u2713.stp` (u-umlaut, i-diaeresis, check mark), made on first use. */
    private static synchronized Path oddlyNamedScript() throws Exception {
        // The JVM encodes file names and child arguments in its locale's charset (sun.jnu.encoding).
        String encoding = System.getProperty("sun.jnu.encoding", "");
        assumeTrue(Charset.isSupported(encoding)
                        && Charset.forName(encoding).newEncoder().canEncode("\u00fc\u00ef\u2713"),
                "the test JVM cannot pass non-ASCII file names (sun.jnu.encoding " + encoding + ")");
        if (oddlyNamedScript == null) {
            Path odd = Files.createDirectory(TestFiles.directory("odd-").resolve("dir \u00fc"));
            Files.setPosixFilePermissions(odd, PosixFilePermissions.fromString("rwxr-xr-x"));
            oddlyNamedScript = TestFiles.write(odd.resolve("my scr\u00efpt \u2713.stp"),
                    Files.readString(parityScript), "rw-r--r--");
        }
        return oddlyNamedScript;
    }

    /** The translator picks the same stap_<hash>_<n> module name on the server as locally. */
    @Test
    void theServerPicksTheLocalModuleNames() throws Exception {
        for (List<String> script : List.of(List.of("-e", HELLO), List.of(parityScript.toString()))) {
            List<String> arguments = new ArrayList<>(List.of("-v", "-p3"));
            arguments.addAll(script);
            StapClient.Result local = local(arguments.toArray(String[]::new));
            StapClient.Result remote = viaServer(arguments.toArray(String[]::new));
            assertEquals(0, local.exitCode(), local.stderr());
            assertEquals(0, remote.exitCode(), remote.stderr());

            Matcher localPass3 = pass3(local.stderr());
            Matcher remotePass3 = pass3(remote.stderr());
            assertTrue(localPass3.group(2).matches("stap_[0-9a-f]{32}_\\d+"), localPass3.group(2));
            assertEquals(localPass3.group(2), remotePass3.group(2), "module name for " + script);
            // The server's response directory is shown as <server> (protocol spec 4.4).
            assertEquals("<server>/stap000000", remotePass3.group(1));
            assertTrue(remote.stderr().contains("Using a compile server."), remote.stderr());
        }
    }

    /**
     * A script file, a user tapset directory (-I), a -D macro and two script arguments after the script
     * (`@1` = "first arg", `$2` = 42) compile through the server exactly as locally.
     */
    @Test
    void tapsetDefineAndScriptArgumentsReachTheTranslator() throws Exception {
        String script = argsScript.toString();
        for (int pass = 1; pass <= 3; pass++) {
            String[] arguments = {"-p" + pass, "-I", tapsets.toString(), "-D", "STAPFARM_LIMIT=4242", script,
                "first arg", "42"};
            StapClient.Result local = local(arguments);
            StapClient.Result remote = viaServer(arguments);
            assertEquals(0, local.exitCode(), local.stderr());
            assertEquals(0, remote.exitCode(), remote.stderr());
            assertEquals(local.stdout(), normalise(remote.stdout(), script, tapsets.toString()), "-p" + pass);
            String stdout = remote.stdout();
            switch (pass) {
                case 1 -> {
                    assertTrue(stdout.contains("global greeting = \"first arg\"\n"), stdout);
                    assertTrue(stdout.contains("global count = 42\n"), stdout);
                    assertTrue(stdout.contains("stapfarm_greeting(\"first arg\"), 42, greeting)"), stdout);
                }
                case 2 -> {
                    // @1 made a string global, $2 a number; the tapset's functions were found through -I.
                    assertTrue(stdout.contains("greeting:string\ncount:long\n"), stdout);
                    assertTrue(stdout.contains("stapfarm_greeting:string (who:string)\n"), stdout);
                    assertTrue(stdout.contains("stapfarm_limit:long ()\n"), stdout);
                }
                default -> {
                    assertTrue(stdout.contains("\"first arg\""), "@1 in the C code");
                    assertTrue(stdout.contains("((int64_t)42LL)"), "$2 in the C code");
                    assertTrue(stdout.contains("STAP_RETVALUE = STAPFARM_LIMIT;"), "the tapset's embedded C");
                    assertTrue(stdout.contains(" at tapset" + tapsets + "/stapfarm_greet.stp:"),
                            "the tapset is tapset/<client path> on the server");
                }
            }
        }

        // -D only shows in the module name at -p3 (the macro goes to kbuild at pass 4): the hash covers
        // it, so the server's name equals the local one for the same value and differs for another value.
        String[] withDefine = {"-v", "-p3", "-I", tapsets.toString(), "-D", "STAPFARM_LIMIT=4242", script, "first arg",
            "42"};
        String serverModule = pass3(viaServer(withDefine).stderr()).group(2);
        String localModule = pass3(local(withDefine).stderr()).group(2);
        String otherValue = pass3(local("-v", "-p3", "-I", tapsets.toString(), "-D", "STAPFARM_LIMIT=4243", script,
                "first arg", "42").stderr()).group(2);
        assertEquals(localModule, serverModule);
        assertNotEquals(otherValue, serverModule, "the -D value reached the server's translator");
    }

    private static StapClient.Result local(String... arguments) throws Exception {
        List<String> full = new ArrayList<>(List.of("-r", release));
        full.addAll(List.of(arguments));
        return client.run(Map.of(), full);
    }

    private static StapClient.Result viaServer(String... arguments) throws Exception {
        List<String> full = new ArrayList<>(List.of("--use-server=" + server.address(), "-r", release));
        full.addAll(List.of(arguments));
        return client.run(Map.of(), full);
    }

    /**
     * Undoes the server-side naming: `script<path>` → `<path>`, `tapset<dir>` → `<dir>`, and the
     * `location[N]` size, which grows with the longest location string.
     */
    static String normalise(String serverOutput, String scriptPath, String tapsetDirectory) {
        String text = serverOutput.replace("script" + scriptPath, scriptPath)
                .replace("script" + cString(scriptPath), cString(scriptPath));
        if (tapsetDirectory != null) {
            text = text.replace("tapset" + tapsetDirectory, tapsetDirectory)
                    .replace("tapset" + cString(tapsetDirectory), cString(tapsetDirectory));
        }
        Matcher size = LOCATION_SIZE.matcher(text);
        if (size.find()) {
            // The longest location string names the script or tapset file (their paths are long here);
            // "script" and "tapset" are both 6 characters.
            int reduced = Integer.parseInt(size.group(1)) - "script".length();
            text = text.replace(size.group(), "const char location[" + reduced + "];");
        }
        return text;
    }

    /** A path as the translator writes it into C string literals: non-ASCII bytes as octal escapes. */
    private static String cString(String path) {
        StringBuilder escaped = new StringBuilder();
        for (byte b : path.getBytes(StandardCharsets.UTF_8)) {
            int value = b & 0xff;
            if (value >= 0x80 || value < 0x20) {
                escaped.append(String.format("\\%03o", value));
            } else if (value == '"' || value == '\\') {
                escaped.append('\\').append((char) value);
            } else {
                escaped.append((char) value);
            }
        }
        return escaped.toString();
    }

    private static String head(String text) {
        return text.length() <= 4000 ? text : text.substring(0, 4000) + "...";
    }

    private static int locationSize(String cCode) {
        Matcher size = LOCATION_SIZE.matcher(cCode);
        assertTrue(size.find(), "no location[] in the C code");
        return Integer.parseInt(size.group(1));
    }

    private static Matcher pass3(String stderr) {
        Matcher matcher = PASS_3.matcher(stderr);
        assertTrue(matcher.find(), stderr);
        return matcher;
    }
}
