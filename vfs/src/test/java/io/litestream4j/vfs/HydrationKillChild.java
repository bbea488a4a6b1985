package io.litestream4j.vfs;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A JVM for {@link HydrationTest} to kill with SIGKILL mid-hydration: registers a VFS hydrating
 * into a file from a replica whose large reads pass one at a time ({@link HydrationTest.Gated}:
 * the first run of pages is copied, the next waits for ever), prints {@code HYDRATING} and waits.
 *
 * <p>Arguments: replica folder, hydration file.
 */
public final class HydrationKillChild {
    private HydrationKillChild() {}

    public static void main(String[] args) throws Exception {
        HydrationTest.Gated gated = new HydrationTest.Gated(Path.of(args[0]));
        LitestreamVfs vfs = LitestreamVfs.register("hydrate-child", gated,
                VfsOptions.defaults().withPollInterval(Duration.ofMillis(200)).withHydrationFile(Path.of(args[1])));
        System.out.println("HYDRATING " + vfs.name());
        System.out.flush();
        Thread.sleep(Duration.ofMinutes(5)); // until killed
    }
}
