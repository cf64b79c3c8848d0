package org.stapfarm.discovery;

import java.net.InetAddress;
import javax.jmdns.impl.NameRegister;

/**
 * JmDNS's hook for renaming on a collision: instances become `... #2`, `... #3` as avahi names them for
 * the reference server, instead of JmDNS's `... (2)`; host names keep JmDNS's `host-2`, as avahi's do.
 */
final class AvahiStyleNames implements NameRegister {

    private final NameRegister jmdnsDefault = new NameRegister.UniqueNamePerInterface();

    @Override
    public void register(InetAddress networkInterface, String name, NameType type) {
        jmdnsDefault.register(networkInterface, name, type);
    }

    @Override
    public boolean checkName(InetAddress networkInterface, String name, NameType type) {
        return jmdnsDefault.checkName(networkInterface, name, type);
    }

    @Override
    public String incrementName(InetAddress networkInterface, String name, NameType type) {
        return type == NameType.SERVICE ? InstanceNames.next(name)
                : jmdnsDefault.incrementName(networkInterface, name, type);
    }
}
