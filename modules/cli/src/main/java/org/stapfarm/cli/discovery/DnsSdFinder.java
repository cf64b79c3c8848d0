package org.stapfarm.cli.discovery;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.util.List;
import java.util.function.Supplier;
import org.stapfarm.discovery.DiscoverySettings;
import org.stapfarm.discovery.DnsSdBrowser;
import org.stapfarm.discovery.MdnsInterface;

/**
 * The servers that answer a DNS-SD browse for `_stap._tcp` (stapfarm's and the reference stap-serverd's
 * alike), one per advertised release, with the host name and address their advertisement gives.
 */
public final class DnsSdFinder implements ServerFinder {

    private final Supplier<DiscoverySettings> settings;
    private final DnsSdBrowser browser;

    DnsSdFinder(Supplier<DiscoverySettings> settings, DnsSdBrowser browser) {
        this.settings = settings;
        this.browser = browser;
    }

    /**
     * Browsing as `stapfarm.discovery` says, read when the finder is used from the configuration the launcher
     * names (conf/application.conf), over the built-in defaults.
     */
    static DnsSdFinder configured() {
        return new DnsSdFinder(() -> DiscoverySettings.from(ConfigFactory.load()), new DnsSdBrowser());
    }

    @Override
    public List<FoundServer> find() throws IOException {
        DiscoverySettings discovery;
        try {
            discovery = settings.get();
        } catch (ConfigException e) {
            throw new IOException("unusable configuration: " + e.getMessage(), e);
        }
        if (!discovery.enabled()) {
            return List.of();
        }
        return browser.browse(MdnsInterface.select(discovery.interfaces()), discovery.browseTime()).stream()
                .map(service -> new FoundServer(service.hostName(), service.address().getHostAddress(),
                        service.port(), service.txt().sysinfo()))
                .toList();
    }
}
