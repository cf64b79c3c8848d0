package org.stapfarm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ServerSpecTest {

    private static final ServerSpec CONFIGURED = new ServerSpec("i386", List.of("6.1"), List.of("/i1"),
            List.of("A=1"), List.of("V=1"), "/rt", "alice", "lab", "/log", "30101", "/ssl", "2", "100", "10",
            false, false);

    @Test
    void overridesReplaceScalarsAppendListsAndKeepFlags() {
        ServerSpec overrides = new ServerSpec("s390", List.of("6.2"), List.of("/i2"), List.of("B=2"), List.of("-j4"),
                "", "bob", "", "", "30202", "", "", "", "", true, false);
        ServerSpec merged = CONFIGURED.overriddenBy(overrides);
        assertEquals(new ServerSpec("s390", List.of("6.1", "6.2"), List.of("/i1", "/i2"), List.of("A=1", "B=2"),
                List.of("V=1", "-j4"), "/rt", "bob", "lab", "/log", "30202", "/ssl", "2", "100", "10", true, false),
                merged);
        assertEquals(CONFIGURED, CONFIGURED.overriddenBy(ServerSpec.empty()));
    }

    @Test
    void defaultsFillOnlyWhatIsEmpty() {
        assertEquals(new ServerSpec("x86_64", List.of("6.1.0-9"), List.of(), List.of(), List.of(), "", "alice", "",
                "/var/log/stap-server/log", "", "", "", "", "", false, false),
                ServerSpec.empty().withDefaults("x86_64", List.of("6.1.0-9"), "alice", "/var/log/stap-server/log"));
        assertEquals(CONFIGURED, CONFIGURED.withDefaults("x86_64", List.of("6.1.0-9"), "root", "/other"));
    }

    @Test
    void theSameServerIgnoresTheNicknameAndTheOrderOfReleases() {
        ServerSpec a = new ServerSpec("x86_64", List.of("A", "B"), List.of(), List.of(), List.of(), "", "u", "one",
                "/l", "", "", "", "", "", false, false);
        ServerSpec b = new ServerSpec("x86_64", List.of("B", "A"), List.of(), List.of(), List.of(), "", "u", "two",
                "/l", "", "", "", "", "", false, false);
        assertTrue(a.describesSameServerAs(b));
        assertFalse(a.describesSameServerAs(b.overriddenBy(new ServerSpec("", List.of("C"), List.of(), List.of(),
                List.of(), "", "", "", "", "", "", "", "", "", false, false))));
    }
}
