package org.stapfarm.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class ClientArgumentsTest {

    @Test
    void serverAndSslAreAcceptedInBothForms() {
        ClientArguments arguments = ClientArguments.parse(List.of("--server=a:1", "--ssl", "/db1", "--server", "b",
                "--ssl=/db2", "-p2", "-e", "probe begin {}"));

        assertEquals(List.of("a:1", "b"), arguments.servers());
        assertEquals(List.of("/db1", "/db2"), arguments.sslDirectories());
        assertEquals(List.of("-p2", "-eprobe begin {}"), arguments.forwardedOptions());
        assertEquals(List.of(), arguments.problems());
    }

    @Test
    void aMissingValueIsReportedWithUpstreamsMessage() {
        assertEquals(List.of("Missing argument to --server"), ClientArguments.parse(List.of("-p2", "--server")).problems());
        assertEquals(List.of("Missing argument to --ssl"), ClientArguments.parse(List.of("--ssl=", "x.stp")).problems());
    }

    /** A value is never read as one of our options, nor our option as a value. */
    @Test
    void valuesOfTranslatorOptionsAreNotOurOptions() {
        ClientArguments arguments = ClientArguments.parse(List.of("-e", "--server=x", "--", "--ssl=y"));

        assertEquals(List.of(), arguments.servers());
        assertEquals(List.of(), arguments.sslDirectories());
        assertEquals(List.of("-e--server=x"), arguments.forwardedOptions());
        assertEquals(List.of("--ssl=y"), arguments.translator().scriptArguments());
        assertTrue(arguments.hasScript());
    }

    /** Vector 02: the stock client's argv for `-r R -p2 -k -I mytapsets -m demo_mod -D MAXACTION=500 args.stp ...`. */
    @Test
    void requestArgumentsAreThoseOfTheStockClient() {
        ClientArguments arguments = ClientArguments.parse(List.of("--server=localhost:1", "-r", "6.1.0-47-amd64",
                "-p2", "-k", "-I", "mytapsets", "-m", "demo_mod", "-D", "MAXACTION=500", "args.stp", "first arg", "42"));

        List<String> argv = arguments.requestArguments(script -> "script/home/demo/" + script,
                tapset -> "tapset/home/demo/" + tapset);

        assertEquals(List.of("script/home/demo/args.stp", "-I", "tapset/home/demo/mytapsets", "-r6.1.0-47-amd64",
                "-p2", "-mdemo_mod", "-DMAXACTION=500", "--", "first arg", "42"), argv);
        assertEquals(Optional.of("demo_mod"), arguments.moduleName());
        assertEquals(Optional.of("6.1.0-47-amd64"), arguments.release());
        assertEquals(2, arguments.lastPass());
    }

    @Test
    void whatStaprunNeedsIsCollected() {
        ClientArguments arguments = ClientArguments.parse(List.of("-vvv", "-c", "ls -l", "-x", "42", "-o", "out.txt",
                "--unpriv", "-"));

        assertEquals(3, arguments.verbosity());
        assertEquals(Optional.of("ls -l"), arguments.command());
        assertEquals(Optional.of("42"), arguments.targetPid());
        assertEquals(Optional.of("out.txt"), arguments.outputFile());
        assertEquals(5, arguments.lastPass());
        assertEquals(Optional.of("-"), arguments.translator().script());
        assertEquals(List.of("-v", "-v", "-v", "-cls -l", "-x42", "-oout.txt", "--unprivileged"),
                arguments.forwardedOptions());
    }

    @Test
    void listingsStopAtPassTwoAndNeedNoScript() {
        ClientArguments arguments = ClientArguments.parse(List.of("-L", "kernel.function(\"vfs_read\")"));

        assertEquals(2, arguments.lastPass());
        assertFalse(arguments.hasScript());
    }

    /** Attached, an empty value would swallow the next word on the server. */
    @Test
    void anEmptyValueStaysAWordOfItsOwn() {
        ClientArguments arguments = ClientArguments.parse(List.of("-e", "", "-p1"));

        assertEquals(List.of("-e", "", "-p1"), arguments.forwardedOptions());
        assertEquals(1, arguments.lastPass());
    }

    @Test
    void unknownOptionsAreProblems() {
        assertEquals(List.of("unrecognized option '--bogus'"), ClientArguments.parse(List.of("--bogus", "x.stp")).problems());
    }
}
