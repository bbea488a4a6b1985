package io.litestream4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** malloc_trim through the foreign-function API: found on glibc, and run at most once per spacing in the process. */
@Timeout(30)
class NativeMemoryTest {
    @Test
    void trimsOnGlibcAtMostOncePerSpacing() {
        // Every machine the build runs on (Debian, CI) has glibc; elsewhere the trim is a no-op by design.
        assumeTrue(Files.exists(Path.of("/lib/x86_64-linux-gnu/libc.so.6")) || Files.exists(Path.of("/lib/aarch64-linux-gnu/libc.so.6")),
                "not a glibc system");
        assertThat(NativeMemory.available()).as("malloc_trim found").isTrue();
        long before = NativeMemory.trims();
        boolean first = NativeMemory.trimSoon();
        boolean second = NativeMemory.trimSoon();
        // The first may find a trim of another test's release within the spacing; the second never trims.
        assertThat(second).as("a second trim within %s", NativeMemory.MIN_SPACING).isFalse();
        assertThat(NativeMemory.trims() - before).isEqualTo(first ? 1 : 0);
    }
}
