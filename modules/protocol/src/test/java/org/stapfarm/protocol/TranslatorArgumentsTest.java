package org.stapfarm.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TranslatorArgumentsTest {

    private static TranslatorArguments parse(String... arguments) {
        return TranslatorArguments.parse(List.of(arguments));
    }

    @Test
    void vector02CommandLine() {
        TranslatorArguments arguments = parse("script/home/demo/args.stp", "-I", "tapset/home/demo/mytapsets",
                "-r6.1.0-47-amd64", "-p2", "-mdemo_mod", "-DMAXACTION=500", "--", "first arg", "42");

        assertEquals(Optional.of("script/home/demo/args.stp"), arguments.script());
        assertEquals(List.of("first arg", "42"), arguments.scriptArguments());
        assertEquals(List.of("tapset/home/demo/mytapsets"), arguments.includeDirectories());
        assertEquals(List.of(), arguments.runtimeDirectories());
        assertEquals(OptionalInt.of(2), arguments.lastPass());
        assertEquals(Privilege.STAPDEV, arguments.privilege());
        assertFalse(arguments.signModule());
        assertEquals(List.of(), arguments.problems());
    }

    @Test
    void inlineScriptTurnsEveryOperandIntoAScriptArgument() {
        TranslatorArguments arguments = parse("/etc/passwd", "-eprobe begin { exit() }", "two");

        assertEquals(Optional.empty(), arguments.script());
        assertEquals(List.of("/etc/passwd", "two"), arguments.scriptArguments());
    }

    @Test
    void anAdditionalScriptDoesNotReplaceTheScriptFile() {
        assertEquals(Optional.of("x.stp"), parse("-Eprobe end {}", "x.stp").script());
    }

    @Test
    void optionsAfterOperandsAreStillOptions() {
        TranslatorArguments arguments = parse("x.stp", "arg", "-p4", "-I", "/etc");

        assertEquals(Optional.of("x.stp"), arguments.script());
        assertEquals(List.of("arg"), arguments.scriptArguments());
        assertEquals(OptionalInt.of(4), arguments.lastPass());
        assertEquals(List.of("/etc"), arguments.includeDirectories());
    }

    @Test
    void doubleDashEndsOptions() {
        TranslatorArguments arguments = parse("x.stp", "--", "-p4", "-I/etc", "--sign-module");

        assertEquals(List.of("-p4", "-I/etc", "--sign-module"), arguments.scriptArguments());
        assertEquals(OptionalInt.empty(), arguments.lastPass());
        assertEquals(List.of(), arguments.includeDirectories());
        assertFalse(arguments.signModule());
    }

    @Test
    void aRequiredArgumentIsTakenWhateverItLooksLike() {
        TranslatorArguments arguments = parse("-I", "--", "-p3", "x.stp");

        assertEquals(List.of("--"), arguments.includeDirectories());
        assertEquals(OptionalInt.of(3), arguments.lastPass());
        assertEquals(Optional.of("x.stp"), arguments.script());
    }

    @Test
    void clusteredFlags() {
        TranslatorArguments arguments = parse("-vvv", "-gvp3", "-vI/etc", "x.stp");

        assertEquals(List.of(), arguments.problems());
        assertEquals(OptionalInt.of(3), arguments.lastPass());
        assertEquals(List.of("/etc"), arguments.includeDirectories());
        assertEquals(Optional.of("x.stp"), arguments.script());
    }

    @Test
    void passNumbers() {
        assertEquals(OptionalInt.of(4), parse("-p", "4", "x").lastPass());
        assertEquals(OptionalInt.of(4), parse("-p4", "x").lastPass());
        assertEquals(OptionalInt.of(2), parse("-p4", "-p2", "x").lastPass());
        assertEquals(OptionalInt.empty(), parse("-p6", "x").lastPass());
        assertEquals(OptionalInt.empty(), parse("-p4x", "x").lastPass());
        assertEquals(OptionalInt.empty(), parse("x").lastPass());
        // strtoul's reading, which the translator uses: white space and sign, and the int cast.
        assertEquals(OptionalInt.of(3), parse("-p +3", "x").lastPass());
        assertEquals(OptionalInt.of(4), parse("-p4294967300", "x").lastPass());
        assertEquals(OptionalInt.empty(), parse("-p-4", "x").lastPass());
    }

    @Test
    void privilege() {
        assertEquals(Privilege.STAPUSR, parse("--privilege=stapusr", "x").privilege());
        assertEquals(Privilege.STAPSYS, parse("--privilege", "stapsys", "x").privilege());
        assertEquals(Privilege.STAPUSR, parse("--unprivileged", "x").privilege());
        assertEquals(Privilege.STAPUSR, parse("--unpriv", "x").privilege());
        assertEquals(Privilege.STAPUSR, parse("--priv=stapusr", "x").privilege());
        assertEquals(Privilege.STAPSYS, parse("--privilege=stapsys", "--unprivileged", "x").privilege());
        assertEquals(Privilege.STAPDEV, parse("--privilege=root", "x").privilege());
        assertEquals(Privilege.STAPDEV, parse("x", "--", "--unprivileged").privilege());
    }

    @ParameterizedTest
    @ValueSource(strings = {"--sign-module", "--sign-module=/x", "--sign-mod=/x", "--si"})
    void signModuleUnderAnySpelling(String option) {
        assertTrue(parse(option, "x.stp").signModule());
    }

    @Test
    void anOptionalArgumentIsNeverTheNextWord() {
        TranslatorArguments arguments = parse("--sign-module", "/moks/key");

        assertTrue(arguments.signModule());
        assertEquals(Optional.of("/moks/key"), arguments.script());
    }

    @Test
    void listingsNeedNoScript() {
        TranslatorArguments listing = parse("-l", "kernel.function(\"vfs_*\")", "extra");
        assertEquals(Optional.empty(), listing.script());
        assertEquals(List.of("extra"), listing.scriptArguments());
        assertEquals(Optional.empty(), parse("--dump-functions").script());
        assertEquals(Optional.empty(), parse("-L", "x", "y").script());
    }

    @Test
    void exactLongNamesWinOverLongerOnes() {
        TranslatorArguments arguments = parse("--remote", "host", "x.stp");

        assertEquals(List.of(), arguments.problems());
        assertEquals(Optional.of("x.stp"), arguments.script());
    }

    @Test
    void equivalentLongOptionsAreNotAmbiguous() {
        assertEquals(List.of(), parse("--col", "x").problems());
    }

    @Test
    void getoptErrorsAreReported() {
        assertEquals(List.of("unrecognized option '--bogus'"), parse("--bogus", "x").problems());
        assertEquals(List.of("option '--s' is ambiguous"), parse("--s", "x").problems());
        assertEquals(List.of("invalid option -- 'z'"), parse("-z", "x").problems());
        assertEquals(List.of("option requires an argument -- 'p'"), parse("x", "-p").problems());
        assertEquals(List.of("option '--help' doesn't allow an argument"), parse("--help=me", "x").problems());
        assertEquals(List.of("option '--privilege' requires an argument"), parse("x", "--privilege").problems());
    }
}
