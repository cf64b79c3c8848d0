package org.stapfarm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stapfarm.config.ConfigFile.Assignment;
import org.stapfarm.config.ConfigFile.ConfigFileException;

class ConfigFileTest {

    private static final String FILE = "/etc/stap-server/conf.d/lab.conf";

    private static ConfigFile parse(String text) throws ConfigFileException {
        return ConfigFile.parse(FILE, text);
    }

    private static void assertError(String expected, String text) {
        ConfigFileException e = assertThrows(ConfigFileException.class, () -> parse(text));
        assertEquals(expected, e.getMessage());
    }

    @Test
    void scalarsKeepTheLastAssignment() throws Exception {
        ConfigFile config = parse("PORT=30101\nARCH=x86_64\nPORT=30202\n");
        assertEquals(Optional.of("30202"), config.value("PORT"));
        assertEquals(Optional.of("x86_64"), config.value("ARCH"));
        assertEquals(Optional.empty(), config.value("SSL"));
    }

    @Test
    void anEmptyValueIsAnExplicitEmptyScalar() throws Exception {
        ConfigFile config = parse("LOG_FILE=/var/log/x\nLOG_FILE=\n");
        assertEquals(Optional.of(""), config.value("LOG_FILE"));
    }

    @Test
    void listsResetWithEqualsAndAppendWithPlusEquals() throws Exception {
        ConfigFile config = parse("INCLUDE=/a\nINCLUDE+=/b\nINCLUDE+=/c\nRELEASE+=6.1\nRELEASE+=6.2\nRELEASE=6.3\n");
        assertEquals(List.of("/a", "/b", "/c"), config.list("INCLUDE"));
        assertEquals(List.of("6.3"), config.list("RELEASE"));
        assertEquals(List.of(), config.list("BUILD"));
        assertEquals(Optional.of("/c"), config.value("INCLUDE"));
    }

    @Test
    void emptyAndParenthesesClearWithEqualsAndAreIgnoredWithPlusEquals() throws Exception {
        ConfigFile config = parse("""
                INCLUDE=/a
                INCLUDE+=
                INCLUDE+=()
                INCLUDE+=/b
                BUILD=V=1
                BUILD=()
                DEFINE=X
                DEFINE=
                DEFINE+=Y
                """);
        assertEquals(List.of("/a", "/b"), config.list("INCLUDE"));
        assertEquals(List.of(), config.list("BUILD"));
        assertEquals(List.of("Y"), config.list("DEFINE"));
    }

    @Test
    void quotedParenthesesAreAnOrdinaryElement() throws Exception {
        assertEquals(List.of("/a", "()"), parse("INCLUDE=/a\nINCLUDE+='()'\n").list("INCLUDE"));
    }

    @Test
    void blankLinesAndCommentLinesAreSkipped() throws Exception {
        ConfigFile config = parse("# a comment\n\n   \t\n   # indented comment\nARCH=s390x\n#ARCH=i386\n");
        assertEquals(Optional.of("s390x"), config.value("ARCH"));
        assertEquals(1, config.assignments().size());
        assertEquals(5, config.assignments().get(0).line());
    }

    @Test
    void hashInsideAValueIsPartOfIt() throws Exception {
        ConfigFile config = parse("LOG=/var/log/a#b\nBUILD=V=1 # not a comment\n");
        assertEquals(Optional.of("/var/log/a#b"), config.value("LOG"));
        assertEquals(Optional.of("V=1 # not a comment"), config.value("BUILD"));
    }

    @Test
    void matchingSingleOrDoubleQuotesAreRemoved() throws Exception {
        ConfigFile config = parse("BUILD='V=1 W=2'\nSSL=\"/srv/my ssl\"\nUSER=''\nNICKNAME='it's'\n");
        assertEquals(List.of("V=1 W=2"), config.list("BUILD"));
        assertEquals(Optional.of("/srv/my ssl"), config.value("SSL"));
        assertEquals(Optional.of(""), config.value("USER"));
        assertEquals(Optional.of("it's"), config.value("NICKNAME"));
        assertTrue(config.assignments().get(0).quoted());
    }

    @Test
    void quotesNotAtTheStartAreLiteralAndNothingIsExpanded() throws Exception {
        ConfigFile config = parse("DEFINE=FOO=\"bar\"\nCONFIG_PATH=~user/$HOME/a\\b\n");
        assertEquals(Optional.of("FOO=\"bar\""), config.value("DEFINE"));
        assertEquals(Optional.of("~user/$HOME/a\\b"), config.value("CONFIG_PATH"));
    }

    @Test
    void blanksAroundTheLineAndAfterTheEqualsSignAreRemoved() throws Exception {
        ConfigFile config = parse("  PORT= 30101 \t\n\tSSL=' padded '  \n");
        assertEquals(Optional.of("30101"), config.value("PORT"));
        assertEquals(Optional.of(" padded "), config.value("SSL"));
    }

    @Test
    void aLastLineWithoutNewlineIsRead() throws Exception {
        ConfigFile config = parse("ARCH=x86_64\nSTAP_USER=stap-server");
        assertEquals(Optional.of("stap-server"), config.value("STAP_USER"));
    }

    @Test
    void crlfLineEndsLeaveNoCarriageReturnInValues() throws Exception {
        ConfigFile config = parse("STAP_USER=crlf\r\nINCLUDE=/a\r\nINCLUDE+=/b\r\n# comment\r\n\r\nLOG=/x");
        assertEquals(Optional.of("crlf"), config.value("STAP_USER"));
        assertEquals(List.of("/a", "/b"), config.list("INCLUDE"));
        assertEquals(Optional.of("/x"), config.value("LOG"));
    }

    @Test
    void unknownNamesAreListedNotRejected() throws Exception {
        ConfigFile config = parse("ARCH=x86_64\nFROBNICATE=yes\nARCH=i386\nmy_OPT=-v\n");
        assertEquals(List.of("ARCH", "FROBNICATE", "my_OPT"), List.copyOf(config.names()));
        Set<String> known = Set.of("ARCH", "USER");
        List<Assignment> unknown = config.assignments().stream().filter(a -> !known.contains(a.name())).toList();
        assertEquals(List.of(2, 4), unknown.stream().map(Assignment::line).toList());
    }

    @Test
    void requireKnownRejectsTheFirstUnknownNameWithItsLine() throws Exception {
        ConfigFile config = parse("ARCH=x86_64\n\nARHC=i386\nOTHER=1\n");
        ConfigFileException e = assertThrows(ConfigFileException.class,
                () -> config.requireKnown(List.of("ARCH"), List.of("RELEASE")));
        assertEquals(FILE + ":3: unknown variable ARHC (known: ARCH, RELEASE)", e.getMessage());
    }

    @Test
    void requireKnownRejectsAppendingToAScalar() throws Exception {
        ConfigFile config = parse("RELEASE+=6.1\nARCH+=i386\n");
        ConfigFileException e = assertThrows(ConfigFileException.class,
                () -> config.requireKnown(List.of("ARCH"), List.of("RELEASE")));
        assertEquals(FILE + ":2: ARCH takes a single value: write ARCH=, not ARCH+=", e.getMessage());
    }

    @Test
    void requireKnownAcceptsKnownNames() throws Exception {
        parse("ARCH=x86_64\nRELEASE=6.1\nRELEASE+=6.2\n").requireKnown(List.of("ARCH"), List.of("RELEASE"));
    }

    @Test
    void errorsAboutAValueNameTheLineOfTheAssignmentThatCounts() throws Exception {
        ConfigFile config = parse("KEEP=yes\n# c\nKEEP=maybe\n");
        Assignment last = config.lastAssignment("KEEP").orElseThrow();
        assertEquals(3, last.line());
        assertEquals(FILE + ":3: bad", config.invalid(last, "bad").getMessage());
        assertEquals(Optional.empty(), config.lastAssignment("PROMPT"));
    }

    @Test
    void assignmentsRecordTheOperator() throws Exception {
        List<Assignment> assignments = parse("A=1\nA+=2\n").assignments();
        assertEquals(new Assignment(1, "A", false, "1", false), assignments.get(0));
        assertEquals(new Assignment(2, "A", true, "2", false), assignments.get(1));
    }

    @Test
    void anEmptyFileHasNoVariables() throws Exception {
        ConfigFile config = parse("");
        assertTrue(config.names().isEmpty());
        assertTrue(config.assignments().isEmpty());
        assertEquals(FILE, config.fileName());
    }

    @Test
    void theResultIsImmutable() throws Exception {
        ConfigFile config = parse("A=1\nL=x\n");
        assertThrows(UnsupportedOperationException.class, () -> config.names().add("B"));
        assertThrows(UnsupportedOperationException.class, () -> config.list("L").add("y"));
        assertThrows(UnsupportedOperationException.class, () -> config.assignments().clear());
    }

    @Test
    void aLineWithoutEqualsSignIsRejected() {
        assertError(FILE + ":3: expected VARIABLE=VALUE, found 'garbage'", "# c\nA=1\n  garbage  \n");
    }

    @Test
    void exportIsRejectedAsUpstreamDoes() {
        assertError(FILE + ":1: invalid variable name 'export LOG_FILE'"
                + " (expected letters, digits and _, not starting with a digit)", "export LOG_FILE=/x\n");
    }

    @Test
    void blanksAroundTheEqualsSignAreRejected() {
        assertError(FILE + ":2: invalid variable name 'PORT '"
                + " (expected letters, digits and _, not starting with a digit)", "\nPORT = 1\n");
    }

    @Test
    void invalidNamesAreRejected() {
        assertError(FILE + ":1: invalid variable name '1X'"
                + " (expected letters, digits and _, not starting with a digit)", "1X=a");
        assertError(FILE + ":1: invalid variable name ''"
                + " (expected letters, digits and _, not starting with a digit)", "=a");
        assertError(FILE + ":1: invalid variable name 'X+'"
                + " (expected letters, digits and _, not starting with a digit)", "X++=a");
        assertError(FILE + ":1: invalid variable name 'my-script_OPT'"
                + " (expected letters, digits and _, not starting with a digit)", "my-script_OPT=-v");
    }

    @Test
    void unbalancedQuotesAreRejected() {
        assertError(FILE + ":2: unbalanced quote: value of BUILD starts with ' but does not end with it",
                "A=1\nBUILD='V=1 W=2\n");
        assertError(FILE + ":1: unbalanced quote: value of SSL starts with \" but does not end with it",
                "SSL=\"/a\" # comment\n");
        assertError(FILE + ":1: unbalanced quote: value of X starts with \" but does not end with it", "X=\"");
        assertError(FILE + ":1: unbalanced quote: value of X starts with ' but does not end with it", "X='a\"");
    }

    @Test
    void anErrorLaterInTheFileFailsTheWholeFile() {
        assertError(FILE + ":4: expected VARIABLE=VALUE, found 'oops'", "A=1\nB=2\nC=3\noops");
    }

    @Test
    void readsAFileFromDisk(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("lab.conf");
        Files.writeString(file, "NICKNAME=lab\nRELEASE=6.1\nRELEASE+=6.2");
        ConfigFile config = ConfigFile.parse(file);
        assertEquals(file.toString(), config.fileName());
        assertEquals(Optional.of("lab"), config.value("NICKNAME"));
        assertEquals(List.of("6.1", "6.2"), config.list("RELEASE"));
    }

    @Test
    void errorsInAFileNameThePath(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.conf");
        Files.writeString(file, "A=1\nnonsense\n");
        ConfigFileException e = assertThrows(ConfigFileException.class, () -> ConfigFile.parse(file));
        assertEquals(file + ":2: expected VARIABLE=VALUE, found 'nonsense'", e.getMessage());
    }

    @Test
    void aMissingFileIsReported(@TempDir Path dir) {
        Path file = dir.resolve("missing.conf");
        ConfigFileException e = assertThrows(ConfigFileException.class, () -> ConfigFile.parse(file));
        assertEquals(file + ": cannot read: no such file", e.getMessage());
    }

    @Test
    void aDirectoryIsReported(@TempDir Path dir) throws Exception {
        Path subdir = Files.createDirectory(dir.resolve("dir.conf"));
        ConfigFileException e = assertThrows(ConfigFileException.class, () -> ConfigFile.parse(subdir));
        assertEquals(subdir + ": cannot read: is a directory", e.getMessage());
    }

    @Test
    void invalidUtf8IsReported(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("latin1.conf");
        Files.write(file, "LOG=/var/log/caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        ConfigFileException e = assertThrows(ConfigFileException.class, () -> ConfigFile.parse(file));
        assertEquals(file + ": cannot read: not valid UTF-8 text", e.getMessage());
    }
}
