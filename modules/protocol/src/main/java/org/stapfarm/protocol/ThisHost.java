package org.stapfarm.protocol;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This host as compile servers and clients name it: `uname -n`, and the `sysinfo` of `uname -r` and the
 * normalised `uname -m`. Read from /proc, where the kernel keeps the same strings, because starting `uname`
 * would cost a command that must start fast a process.
 */
public record ThisHost(String hostName, SysInfo sysInfo) {

    private static final Path KERNEL = Path.of("/proc/sys/kernel");

    public static ThisHost read() throws IOException {
        return new ThisHost(kernel("hostname"), new SysInfo(kernel("osrelease"), Architectures.normalize(machine())));
    }

    /** `uname -m`: the kernel has published it in /proc since Linux 6.1; older kernels need uname itself. */
    private static String machine() throws IOException {
        if (Files.isReadable(KERNEL.resolve("arch"))) {
            return kernel("arch");
        }
        Process uname = new ProcessBuilder("uname", "-m").redirectErrorStream(true).start();
        String machine = new String(uname.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        try {
            if (uname.waitFor() != 0 || machine.isEmpty()) {
                throw new IOException("uname -m failed: " + machine);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running uname -m", e);
        }
        return machine;
    }

    private static String kernel(String name) throws IOException {
        return Files.readString(KERNEL.resolve(name), StandardCharsets.US_ASCII).strip();
    }
}
