package org.stapfarm.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.stapfarm.service.ScriptOptions.InvalidOptionsException;
import org.stapfarm.service.ScriptOptions.Runtime;

class ScriptOptionsTest {

    private static ScriptOptions parse(String value) throws InvalidOptionsException {
        return ScriptOptions.parse(Words.split(value));
    }

    private static String refusal(String value) {
        return assertThrows(InvalidOptionsException.class, () -> parse(value)).getMessage();
    }

    /** The example the spec verified against upstream (§3.3), in this service's attached form. */
    @Test
    void upstreamsExampleSplitsIntoCompileAndStartOptions() throws Exception {
        ScriptOptions options = parse("-v -DFOO=1 -o /var/log/a.out -s 4 -x 123 -p2 -m other -k -I /inc");
        assertEquals(Runtime.KERNEL, options.runtime());
        assertEquals(List.of("-I/inc", "-v", "-DFOO=1"), options.compileOptions());
        assertEquals(List.of("-o", "/var/log/a.out", "-b", "4", "-x", "123"), options.startOptions());
        assertTrue(options.fileMode());
    }

    @Test
    void everyOptionTheTranslatorTakesIsACompileOption() throws Exception {
        ScriptOptions options = parse("-G x=1 --suppress-handler-errors -B CONFIG_X=y -T 5 -g --all-modules -w");
        assertEquals(List.of("-Gx=1", "--suppress-handler-errors", "-BCONFIG_X=y", "-T5", "-g", "--all-modules", "-w"),
                options.compileOptions(), "upstream's getopt refused all of these");
        assertEquals(List.of(), options.startOptions());
        assertFalse(options.fileMode());
    }

    @Test
    void quotedValuesStayOneWord() throws Exception {
        ScriptOptions options = parse("-c 'sleep 60' -D 'MSG=\"a b\"'");
        assertEquals(List.of("-c", "sleep 60"), options.startOptions());
        assertEquals("'-DMSG=\"a b\"'", options.recordedCompileOptions());
    }

    @Test
    void theBpfRuntime() throws Exception {
        ScriptOptions options = parse("--runtime=bpf -o /tmp/out -x 1");
        assertEquals(Runtime.BPF, options.runtime());
        assertEquals(List.of("--runtime=bpf"), options.compileOptions());
        assertEquals(List.of("-o", "/tmp/out", "-x", "1"), options.startOptions());
        assertEquals(Runtime.BPF, parse("--bpf").runtime());
        assertTrue(refusal("--bpf -s 4").contains("stapbpf does not have"));
        assertTrue(refusal("--runtime=bpf -S 10,2").contains("stapbpf does not have"));
    }

    @Test
    void whatTheServiceCannotUseIsRefusedWithTheReason() {
        assertEquals("unrecognized option '--frobnicate'", refusal("--frobnicate"));
        assertEquals("option requires an argument -- 'D'", refusal("-D"));
        assertTrue(refusal("-a arm64").contains("compiles for this machine"));
        assertTrue(refusal("--use-server=host:1").contains("COMPILE_SERVER"));
        assertTrue(refusal("--server=host:1").contains("COMPILE_SERVER"));
        assertTrue(refusal("-L 'syscall.*'").contains("lists probes"));
        assertTrue(refusal("--runtime=dyninst").contains("kernel and bpf modules only"));
        assertTrue(refusal("-i").contains("not interactive"));
        assertEquals("script arguments are not supported (one 'two words')", refusal("-v one 'two words'"));
    }
}
