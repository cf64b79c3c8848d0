package org.stapfarm.dist;

import static org.stapfarm.dist.StapClient.HELLO;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Privilege levels, `.sgn` signatures and machine owner keys (protocol spec 4.5, 4.6) through the stock
 * 4.8 client, with real kernel modules: the server builds with a copy of the runtime that compiles against
 * this machine's headers ({@link PatchedRuntime}); translator, kbuild and gcc are the real ones. Every
 * signature is checked with openssl, the way `staprun` and the kernel check them. Loading needs a kernel
 * that accepts modules, which these machines are not: the tests stop at pass 4.
 *
 * <p>The `stapusr` member is a user the test creates (as root) and removes again.
 */
class ModuleSigningIT {

    private static final String MEMBER = "stapfarm-stapusr";
    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static final byte[] SIGNATURE_MAGIC = "~Module signature appended~\n".getBytes(StandardCharsets.US_ASCII);
    /** An embedded-C function: only stapdev (and -g) may use one. */
    private static final String EMBEDDED_C = "function f() %{ /* C */ %} probe begin { f(); exit() }";

    private static ServerProcess server;
    private static String release;
    private static TestUser member;

    @BeforeAll
    static void startServer() throws Exception {
        release = Releases.first();
        server = ServerProcess.start(List.of("-r", release, "-R", PatchedRuntime.forRelease(release).toString()),
                Map.of());
        if ("root".equals(System.getProperty("user.name"))) {
            member = TestUser.createMember(MEMBER, "stapusr");
        }
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
        if (member != null) {
            member.remove();
        }
    }

    /**
     * The issue's user: a member of `stapusr` (not `stapdev`) who trusts the server (authorised with
     * stap-authorize-server-cert) compiles with `--privilege=stapusr`; the module comes back with a `.sgn`
     * that openssl verifies with the server certificate's key, over the whole module, with SHA-256.
     */
    @Test
    void aStapusrMemberGetsAModuleSignedWithTheServerKey() throws Exception {
        assumeTrue(member != null, "creating a member of stapusr needs root");
        StapClient client = StapClient.create(member);
        authorize(client);

        StapClient.Result result = client.run("--use-server=" + server.address(), "--privilege=stapusr", "-r", release,
                "-p4", "-e", HELLO);

        assertEquals(0, result.exitCode(), result.stderr());
        Path module = onlyModule(client);
        assertEquals(module.getFileName() + "\n", result.stdout());
        assertKernelModule(Files.readAllBytes(module));
        Path sgn = module.resolveSibling(module.getFileName() + ".sgn");
        assertEquals(512, Files.size(sgn), "a raw RSA-4096 signature");
        assertEquals("Verified OK", opensslVerify(sgn, module).strip());

        Path tampered = Files.write(client.workingDirectory.resolve("tampered.ko"), flipLastByte(Files.readAllBytes(module)));
        assertNotEquals(0, Commands.run(List.of("openssl", "dgst", "-sha256", "-verify", publicKey().toString(),
                "-signature", sgn.toString(), tampered.toString()), TIMEOUT).exitCode());
    }

    /** Upstream's rule: no signature at stapdev, the default, which the stock client sends no option for. */
    @Test
    void atStapdevTheModuleIsNotSigned() throws Exception {
        StapClient client = StapClient.trusting(server);

        StapClient.Result result = client.run("--use-server=" + server.address(), "-r", release, "-p4", "-e", HELLO);

        assertEquals(0, result.exitCode(), result.stderr());
        Path module = onlyModule(client);
        assertFalse(Files.exists(module.resolveSibling(module.getFileName() + ".sgn")));
    }

    /**
     * A script stapusr may not run is refused by the server's translator, at the privilege the client asked
     * for, with the translator's own message: the same lines the member's local translator prints.
     */
    @Test
    void aScriptAStapusrMemberMayNotRunIsRefusedWithTheTranslatorsMessage() throws Exception {
        assumeTrue(member != null, "creating a member of stapusr needs root");
        StapClient client = StapClient.create(member);
        authorize(client);
        String requestsBefore = server.logText();

        StapClient.Result remote = client.run("--use-server=" + server.address(), "--privilege=stapusr", "-r", release,
                "-p2", "-e", EMBEDDED_C);
        StapClient.Result local = client.run("--privilege=stapusr", "-r", release, "-p2", "-e", EMBEDDED_C);

        assertEquals(1, remote.exitCode(), remote.stderr());
        assertTrue(remote.stderr().contains("parse error: embedded code in unprivileged script; need stap -g"),
                remote.stderr());
        assertTrue(remote.stderr().contains(parseError(local.stderr())), remote.stderr() + "\nlocal:\n" + local.stderr());
        assertTrue(remote.stderr().contains("Passes: via server failed."), remote.stderr());
        assertTrue(server.logText().length() > requestsBefore.length()
                && server.logText().substring(requestsBefore.length()).contains("answered: rc 1"),
                "the server's translator refused it");
    }

    /**
     * Secure Boot (spec 4.6), the way an administrator meets it: a client that must sign modules (here
     * SYSTEMTAP_SIGN=1, with a stand-in `mokutil`) has none of the server's keys enrolled, so the server
     * answers with its key in `signing_key.x509` and rc 1; once that key is enrolled (the stand-in lists
     * it), the module comes back signed with it in the kernel's format, and the `.sgn` covers the signed file.
     */
    @Test
    void aSecureBootClientEnrollsTheServersKeyAndThenGetsSignedModules() throws Exception {
        StapClient client = StapClient.trusting(server);
        Path mokutil = TestFiles.directory("mokutil-");
        Path enrolled = mokutil.resolve("enrolled");
        // The 4.8 client loops forever on a mokutil that prints nothing, so list a key of someone else.
        TestFiles.write(enrolled, "[key 1]\nSHA1 Fingerprint: 11:22:33:44:55:66:77:88:99:00:aa:bb:cc:dd:ee:ff:00:11:22:33\n"
                + "        Issuer: CN=Some Vendor CA\n", "rw-r--r--");
        TestFiles.write(mokutil.resolve("mokutil"), "#!/bin/sh\n# Test double of mokutil --list-enrolled\ncat '"
                + enrolled + "'\n", "rwxr-xr-x");
        Map<String, String> secureBoot = Map.of("SYSTEMTAP_SIGN", "1", "PATH", mokutil + ":/usr/bin:/bin");

        StapClient.Result first = client.run(secureBoot, List.of("--use-server=" + server.address(),
                "--privilege=stapusr", "-r", release, "-p4", "-e", HELLO));

        assertEquals(1, first.exitCode(), first.stderr());
        assertTrue(first.stderr().contains("Server: No matching machine owner key (MOK) available on the server to"
                + " sign the\n module.\n"), first.stderr());
        assertTrue(first.stderr().contains("\t# sudo mokutil --import signing_key.x509\n"), first.stderr());
        Path signingKey = client.workingDirectory.resolve("signing_key.x509");
        assertTrue(Files.isRegularFile(signingKey), "the client saved the server's key");
        String subject = Commands.run(List.of("openssl", "x509", "-inform", "DER", "-in", signingKey.toString(),
                "-noout", "-subject"), TIMEOUT).stdout();
        assertEquals("subject=O = Systemtap, CN = Systemtap module signing key", subject.strip());
        assertEquals("", String.join(",", modules(client)), "no module for a kernel that would refuse it");

        String fingerprint = HexFormat.ofDelimiter(":").formatHex(
                MessageDigest.getInstance("SHA-1").digest(Files.readAllBytes(signingKey)));
        TestFiles.write(enrolled, "[key 1]\nSHA1 Fingerprint: " + fingerprint + "\n        Issuer: O=Systemtap\n",
                "rw-r--r--");

        StapClient.Result second = client.run(secureBoot, List.of("--use-server=" + server.address(),
                "--privilege=stapusr", "-r", release, "-p4", "-e", HELLO));

        assertEquals(0, second.exitCode(), second.stderr());
        Path module = onlyModule(client);
        byte[] signed = Files.readAllBytes(module);
        assertArrayEquals(SIGNATURE_MAGIC, Arrays.copyOfRange(signed, signed.length - SIGNATURE_MAGIC.length,
                signed.length));
        int pkcs7Length = ByteBuffer.wrap(signed, signed.length - SIGNATURE_MAGIC.length - 4, 4).getInt();
        int moduleLength = signed.length - SIGNATURE_MAGIC.length - 12 - pkcs7Length;
        assertKernelModule(Arrays.copyOf(signed, moduleLength));
        Path content = Files.write(client.workingDirectory.resolve("unsigned.ko"), Arrays.copyOf(signed, moduleLength));
        Path pkcs7 = Files.write(client.workingDirectory.resolve("module.p7s"),
                Arrays.copyOfRange(signed, moduleLength, moduleLength + pkcs7Length));
        Commands.Result cms = Commands.run(List.of("openssl", "cms", "-verify", "-binary", "-inform", "DER",
                "-in", pkcs7.toString(), "-content", content.toString(), "-certfile", pem(signingKey).toString(),
                "-nointern", "-noverify", "-out", "/dev/null"), TIMEOUT);
        assertEquals(0, cms.exitCode(), cms.stdout() + cms.stderr());
        Path sgn = module.resolveSibling(module.getFileName() + ".sgn");
        assertEquals("Verified OK", opensslVerify(sgn, module).strip());
    }

    private static void authorize(StapClient client) throws IOException, InterruptedException {
        // The member cannot enter the server user's certificate directory; the certificate is public.
        Path certificate = client.workingDirectory.resolve("stap.cert");
        Files.copy(server.sslDirectory.resolve("stap.cert"), certificate);
        Files.setPosixFilePermissions(certificate, PosixFilePermissions.fromString("rw-r--r--"));
        Commands.Result authorized = Commands.run(client.user.command(
                List.of(Workspace.INSTANCE.bin("stap-authorize-server-cert").toString(), certificate.toString()),
                Map.of("SYSTEMTAP_DIR", client.systemtapDirectory.toString())), TIMEOUT);
        assertEquals(0, authorized.exitCode(), authorized.stderr());
    }

    private static List<String> modules(StapClient client) throws IOException {
        try (Stream<Path> files = Files.list(client.workingDirectory)) {
            return files.map(file -> file.getFileName().toString())
                    .filter(name -> name.startsWith("stap_") && name.endsWith(".ko")).sorted().toList();
        }
    }

    private static Path onlyModule(StapClient client) throws IOException {
        List<String> modules = modules(client);
        assertEquals(1, modules.size(), "modules in the working directory: " + modules);
        return client.workingDirectory.resolve(modules.get(0));
    }

    /** An x86-64 ELF relocatable object, which is what kbuild makes a `.ko` from. */
    private static void assertKernelModule(byte[] module) {
        assertArrayEquals(new byte[] {0x7f, 'E', 'L', 'F', 2}, Arrays.copyOf(module, 5), "64-bit ELF");
        assertEquals(1, module[16], "ET_REL");
        assertTrue(new String(module, StandardCharsets.ISO_8859_1).contains("vermagic=" + release + " "),
                "built for " + release);
    }

    private static String opensslVerify(Path sgn, Path module) throws IOException, InterruptedException {
        Commands.Result verified = Commands.run(List.of("openssl", "dgst", "-sha256", "-verify", publicKey().toString(),
                "-signature", sgn.toString(), module.toString()), TIMEOUT);
        assertEquals(0, verified.exitCode(), verified.stdout() + verified.stderr());
        return verified.stdout();
    }

    /** The public key of the certificate the server presents, which is what clients and staprun trust. */
    private static Path publicKey() throws IOException, InterruptedException {
        Path key = server.sslDirectory.resolveSibling("stap.pub");
        if (!Files.exists(key)) {
            Commands.Result extracted = Commands.run(List.of("openssl", "x509", "-inform", "DER", "-in",
                    server.sslDirectory.resolve("stap.cert").toString(), "-noout", "-pubkey", "-out", key.toString()),
                    TIMEOUT);
            assertEquals(0, extracted.exitCode(), extracted.stderr());
        }
        return key;
    }

    private static Path pem(Path der) throws IOException, InterruptedException {
        Path pem = der.resolveSibling(der.getFileName() + ".pem");
        Commands.Result converted = Commands.run(List.of("openssl", "x509", "-inform", "DER", "-in", der.toString(),
                "-out", pem.toString()), TIMEOUT);
        assertEquals(0, converted.exitCode(), converted.stderr());
        return pem;
    }

    private static byte[] flipLastByte(byte[] bytes) {
        byte[] copy = bytes.clone();
        copy[copy.length - 1] ^= 1;
        return copy;
    }

    /** The translator's parse-error block: from `parse error:` up to the count of errors. */
    private static String parseError(String stderr) {
        int start = stderr.indexOf("parse error:");
        int end = stderr.indexOf("1 parse error.", start);
        assertTrue(start >= 0 && end > start, "a parse error in:\n" + stderr);
        return stderr.substring(start, end + "1 parse error.".length());
    }
}
