package org.stapfarm.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ArgumentPolicyTest {

    private static final Set<String> FILES = Set.of("script/home/demo/args.stp",
            "tapset/home/demo/mytapsets/greet.stp");

    private static List<String> violations(String... arguments) {
        return ArgumentPolicy.violations(TranslatorArguments.parse(List.of(arguments)), FILES);
    }

    @Test
    void whatTheRealClientSendsIsAccepted() {
        assertEquals(List.of(), violations("script/home/demo/args.stp", "-I", "tapset/home/demo/mytapsets",
                "-p2", "--", "first arg", "42"));
        assertEquals(List.of(), violations("-eprobe begin {}", "-p4", "--privilege=stapusr"));
    }

    @Test
    void aScriptTheClientCouldNotSendIsStillAllowedUnderScript() {
        assertEquals(List.of(), violations("script/home/demo/missing.stp"));
        assertEquals(List.of(), violations("script/-"));
        assertEquals(List.of(), violations("-"));
    }

    @Test
    void absoluteScriptIsRefused() {
        assertEquals(List.of("script path '/etc/hostname' is outside the request; "
                + "only files sent with the request can be compiled"), violations("/etc/hostname"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"script/../../etc/passwd", "../x.stp", "script/home/../../../x"})
    void escapingScriptIsRefused(String script) {
        assertEquals(List.of("script path '" + script + "' is outside the request; "
                + "only files sent with the request can be compiled"), violations(script));
    }

    @Test
    void aScriptPathOutsideTheUserTreesMustNameASentFile() {
        assertEquals(List.of(), violations("tapset/home/demo/mytapsets/greet.stp"));
        assertEquals(List.of("script path 'sysinfo' does not name a file sent with the request"),
                violations("sysinfo"));
        assertEquals(List.of("script path 'script/../argv1' does not name a file sent with the request"),
                violations("script/../argv1"));
    }

    @Test
    void includeDirectories() {
        assertEquals(List.of(), violations("-Itapset/x", "-e", "probe begin {}"));
        assertEquals(List.of("-I directory '/etc' is outside the request; "
                + "only directories sent with the request can be used"), violations("-I/etc", "-e", "x"));
        assertEquals(List.of("-I directory 'tapset/../../x' is outside the request; "
                + "only directories sent with the request can be used"), violations("-I", "tapset/../../x", "-ex"));
    }

    @Test
    void runtimeDirectories() {
        assertEquals(List.of("-R directory '/usr/share/systemtap/runtime' is outside the request; "
                + "only directories sent with the request can be used"),
                violations("-R/usr/share/systemtap/runtime", "-ex"));
    }

    @Test
    void clientSuppliedSigningIsRefused() {
        assertEquals(List.of("--sign-module is reserved to the server, which signs modules itself"),
                violations("--sign-mod=/x", "-ex"));
    }

    @Test
    void scriptArgumentsAreNotPaths() {
        assertEquals(List.of(), violations("-ex", "--", "/etc/passwd", "-I/etc"));
        assertEquals(List.of(), violations("script/home/demo/args.stp", "/etc/passwd"));
    }

    @Test
    void everyProblemIsReported() {
        assertEquals(3, violations("/etc/hostname", "-I/etc", "--sign-module").size());
    }
}
