package org.stapfarm.dist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

/**
 * A copy of Debian's SystemTap 4.8 runtime that builds kernel modules against this machine's headers, for
 * tests that need a module from a successful pass 4 (signing). The servers use it through their `-R`
 * option; the translator, kbuild and gcc are the real ones.
 *
 * <p>Why a copy: Debian's 6.1 kernels took the 6.11 change that renamed `task_work_cancel(task, func)` to
 * `task_work_cancel_func` and gave `task_work_cancel` a `callback_head *` argument and a `bool` result. The
 * 4.8 runtime still calls the old signature (through a kallsyms lookup by name), so its `stp_task_work.c`
 * fails to compile (KernelModuleIT shows that failure). The copy calls and looks up `task_work_cancel_func`,
 * which has the old signature, whenever the release's headers declare it.
 */
final class PatchedRuntime {

    private static final Path RUNTIME = Path.of("/usr/share/systemtap/runtime");
    private static final String TASK_WORK = "stp_task_work.c";

    private PatchedRuntime() {
    }

    /** A world-readable copy in the workspace, patched when {@code release}'s headers need it. */
    static Path forRelease(String release) {
        try {
            Path copy = TestFiles.directory("runtime-");
            try (Stream<Path> files = Files.walk(RUNTIME)) {
                for (Path source : (Iterable<Path>) files::iterator) {
                    Path target = copy.resolve(RUNTIME.relativize(source).toString());
                    if (Files.isDirectory(source)) {
                        Files.createDirectories(target);
                        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
                    } else {
                        Files.copy(source, target);
                        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
                    }
                }
            }
            if (renamedTaskWorkCancel(release)) {
                Path taskWork = copy.resolve(TASK_WORK);
                String patched = Files.readString(taskWork, StandardCharsets.UTF_8)
                        .replace("typeof(&task_work_cancel) task_work_cancel_fn",
                                "typeof(&task_work_cancel_func) task_work_cancel_fn")
                        .replace("kallsyms_lookup_name(\"task_work_cancel\")",
                                "kallsyms_lookup_name(\"task_work_cancel_func\")");
                Files.writeString(taskWork, patched, StandardCharsets.UTF_8);
            }
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean renamedTaskWorkCancel(String release) throws IOException {
        for (String tree : new String[] {"source", "build"}) {
            Path header = Path.of("/lib/modules", release, tree, "include/linux/task_work.h");
            if (Files.isRegularFile(header)) {
                return Files.readString(header, StandardCharsets.UTF_8).contains("task_work_cancel_func(");
            }
        }
        return false;
    }
}
