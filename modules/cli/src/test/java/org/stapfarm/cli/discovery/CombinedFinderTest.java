package org.stapfarm.cli.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.stapfarm.protocol.SysInfo;

class CombinedFinderTest {

    private static final SysInfo RELEASE = new SysInfo("6.1.0-47-amd64", "x86_64");
    private static final FoundServer OWN = new FoundServer("vm", "127.0.0.1", 36002, RELEASE);

    @Test
    void theNodesServersComeFirstAndTheirAdvertisementsAreNotRepeated() throws IOException {
        FoundServer ownAdvertised = new FoundServer("vm.local", "127.0.0.1", 36002, RELEASE);
        FoundServer ownOtherRelease = new FoundServer("vm.local", "127.0.0.1", 36002, "6.1.0-54-amd64 x86_64");
        FoundServer remote = new FoundServer("build.local", "198.51.100.7", 36002, RELEASE);
        FoundServer archOnly = new FoundServer("old.local", "198.51.100.8", 5000, "x86_64");
        ServerFinder combined = new CombinedFinder(() -> List.of(OWN),
                () -> List.of(ownAdvertised, remote, ownOtherRelease, archOnly, remote));
        assertEquals(List.of(OWN, remote, ownOtherRelease, archOnly), combined.find());
    }

    @Test
    void aFailedBrowseIsReported() {
        ServerFinder combined = new CombinedFinder(() -> List.of(OWN), () -> {
            throw new IOException("no network interface named eth9");
        });
        assertEquals("no network interface named eth9", assertThrows(IOException.class, combined::find).getMessage());
    }

    @Test
    void disabledDiscoveryFindsNothingAtOnce() throws IOException {
        assertEquals(List.of(), DnsSdFinder.configured().find(), "src/test/resources/application.conf turns it off");
    }

    @Test
    void compatibilityFollowsTheStockClient() {
        assertEquals(true, new FoundServer("old.local", "198.51.100.8", 5000, "x86_64").serves(RELEASE));
        assertEquals(false, new FoundServer("arm.local", "198.51.100.9", 5000, "6.1.0-47-amd64 arm64").serves(RELEASE));
    }
}
