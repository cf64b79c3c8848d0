package org.stapfarm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.stapfarm.config.ConfigFile.ConfigFileException;

class StapServerSettingsTest {

    private static final String FILE = "/etc/sysconfig/stap-server";

    private static StapServerSettings laid(String text) throws ConfigFileException {
        return StapServerSettings.system().with(ConfigFile.parse(FILE, text));
    }

    @Test
    void systemAndPerUserLocations() {
        assertEquals(new StapServerSettings(Path.of("/etc/stap-server/conf.d"), Path.of("/run/stap-server"),
                Path.of("/var/log/stap-server/log"), "", Optional.of(Path.of("/etc/systemtap/ssl/client"))),
                StapServerSettings.system());
        Path own = Path.of("/home/a/.systemtap/stap-server");
        assertEquals(new StapServerSettings(own.resolve("conf.d"), own.resolve("run"), own.resolve("log"), "",
                Optional.empty()), StapServerSettings.perUser(own));
    }

    @Test
    void aFileOverridesWhatItNamesAndKeepsTheRest() throws Exception {
        assertEquals(new StapServerSettings(Path.of("/srv/conf.d"), Path.of("/run/stap-server"),
                        Path.of("/var/log/stap-server/log"), "stap-server",
                        Optional.of(Path.of("/etc/systemtap/ssl/client"))),
                laid("# global\nCONFIG_PATH=/srv/conf.d\nSTAP_USER=stap-server"));
    }

    @Test
    void laterLayersWin() throws Exception {
        StapServerSettings settings = laid("LOG_FILE=/a\nSTAP_USER=x\n")
                .with(ConfigFile.parse("/tmp/c", "LOG_FILE=/b\nSTAP_USER=\n"));
        assertEquals(Path.of("/b"), settings.logFile());
        assertEquals("", settings.stapUser());
    }

    @Test
    void anUnknownVariableIsAnError() {
        ConfigFileException e = assertThrows(ConfigFileException.class, () -> laid("LOGFILE=/x\n"));
        assertEquals(FILE + ":1: unknown variable LOGFILE (known: CONFIG_PATH, STAT_PATH, LOG_FILE, STAP_USER,"
                        + " TRUST_PATH)",
                e.getMessage());
    }

    /** Where root's servers are trusted by every user can be moved, or the adding turned off. */
    @Test
    void trustPathMovesOrIsTurnedOff() throws Exception {
        assertEquals(Optional.of(Path.of("/srv/trust")), laid("TRUST_PATH=/srv/trust\n").trustPath());
        assertEquals(Optional.empty(), laid("TRUST_PATH=\n").trustPath());
        assertEquals(Optional.empty(), laid("TRUST_PATH=\n").with(ConfigFile.parse("/tmp/c", "LOG_FILE=/b\n"))
                .trustPath());
    }

    @Test
    void aPathMustNotBeEmpty() {
        ConfigFileException e = assertThrows(ConfigFileException.class, () -> laid("STAT_PATH=/x\nSTAT_PATH=\n"));
        assertEquals(FILE + ":2: STAT_PATH must not be empty", e.getMessage());
    }
}
