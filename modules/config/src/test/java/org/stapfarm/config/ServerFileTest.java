package org.stapfarm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.stapfarm.config.ConfigFile.ConfigFileException;

class ServerFileTest {

    private static final String FILE = "/etc/stap-server/conf.d/lab.conf";

    private static ServerSpec configuration(String text) throws ConfigFileException {
        return ServerFile.readConfiguration(ConfigFile.parse(FILE, text));
    }

    private static ServerSpec status(String text) throws ConfigFileException {
        return ServerFile.readStatus(ConfigFile.parse("/run/stap-server/123.stat", text));
    }

    @Test
    void readsEveryVariableOfAConfigurationFile() throws Exception {
        ServerSpec spec = configuration("""
                ARCH=i386
                RELEASE=6.1
                RELEASE+=/usr/src/tree
                INCLUDE=/srv/tapsets
                DEFINE=MAXACTION=500
                BUILD='V=1 W=2'
                RUNTIME=/srv/runtime
                USER=stap-server
                NICKNAME=lab
                LOG=/var/log/lab#1
                PORT=30101
                SSL=/srv/ssl
                MAXTHREADS=4
                MAXREQSIZE=100000
                MAXCOMPRESSEDREQ=10000
                KEEP=yes
                PROMPT=no""");
        assertEquals(new ServerSpec("i386", List.of("6.1", "/usr/src/tree"), List.of("/srv/tapsets"),
                List.of("MAXACTION=500"), List.of("V=1 W=2"), "/srv/runtime", "stap-server", "lab", "/var/log/lab#1",
                "30101", "/srv/ssl", "4", "100000", "10000", true, false), spec);
    }

    @Test
    void whatAFileLeavesOutIsEmptyNotDefaulted() throws Exception {
        assertEquals(ServerSpec.empty(), configuration("# nothing but a comment\n\n"));
    }

    @Test
    void anUnknownVariableIsAnErrorWithItsLine() {
        ConfigFileException e = assertThrows(ConfigFileException.class, () -> configuration("ARCH=i386\nPROT=1\n"));
        assertTrue(e.getMessage().startsWith(FILE + ":2: unknown variable PROT (known: ARCH, "), e.getMessage());
    }

    @Test
    void flagsMustBeYesOrNo() {
        ConfigFileException e = assertThrows(ConfigFileException.class, () -> configuration("KEEP=true\n"));
        assertEquals(FILE + ":1: KEEP must be yes or no, not 'true'", e.getMessage());
    }

    @Test
    void aConfiguredNicknameMustNotLookLikeAnId() {
        ConfigFileException e = assertThrows(ConfigFileException.class, () -> configuration("NICKNAME=4711\n"));
        assertEquals(FILE + ":1: NICKNAME 4711 has only digits, which is how server ids look;"
                + " choose a name with a letter in it", e.getMessage());
    }

    @Test
    void aRecordedIdNicknameMeansNoNickname() throws Exception {
        assertEquals("", status("NICKNAME=10004242\n").nickname());
        assertEquals("lab", status("NICKNAME=lab\n").nickname());
        assertTrue(ServerFile.isIdLike("10004242"));
        assertFalse(ServerFile.isIdLike("lab1"));
        assertFalse(ServerFile.isIdLike(""));
    }

    @Test
    void aStatusFileHasUpstreamsOrderThenTheFlags() {
        ServerSpec spec = new ServerSpec("x86_64", List.of("6.1", "6.2"), List.of("/i1", "/i2"), List.of("D=1"),
                List.of("-j4"), "", "alice", "10004242", "/var/log/stap-server/log", "30101", "", "", "", "", true,
                false);
        assertEquals("""
                ARCH=x86_64
                USER=alice
                BUILD+=-j4
                INCLUDE+=/i1
                INCLUDE+=/i2
                DEFINE+=D=1
                NICKNAME=10004242
                RUNTIME=
                RELEASE+=6.1
                RELEASE+=6.2
                LOG=/var/log/stap-server/log
                PORT=30101
                SSL=
                MAXTHREADS=
                MAXREQSIZE=
                MAXCOMPRESSEDREQ=
                KEEP=yes
                PROMPT=no
                """, ServerFile.formatStatus(spec));
    }

    @Test
    void everyValueReadsBackUnchanged() throws Exception {
        ServerSpec tricky = new ServerSpec("'q'", List.of("()", " lead", "\"x"), List.of("trail\t"),
                List.of("A=\"b\""), List.of("V=1 W=2", "# not a comment"), "\"", "u", "it's", "/l#1", "", "/ssl\r", "",
                "", "", false, true);
        assertEquals(tricky, status(ServerFile.formatStatus(tricky)));
    }

    @Test
    void aLineBreakCannotBeRecorded() {
        ServerSpec spec = ServerSpec.empty().withNickname("a\nb");
        assertThrows(IllegalArgumentException.class, () -> ServerFile.formatStatus(spec));
    }
}
