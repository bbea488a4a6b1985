package io.litestream4j.core;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gives memory that SQLite freed back to the operating system ({@code malloc_trim} of glibc),
 * after connections were closed. Why: glibc keeps what was freed in its arenas for reuse, so
 * after thousands of quiet databases closed their connections (about 300 KB of SQLite memory
 * each) the process still held it: at 1,000 databases 895 MiB taken from the system with 320 MiB
 * in use (docs/benchmarks.md, "Many databases in one process").
 *
 * <p>At most once per {@link #MIN_SPACING} in the process, on the thread that asks; a trim walks
 * glibc's arenas for milliseconds while holding their locks. Where there is no glibc (musl, other
 * systems) or native access is denied, it does nothing.
 */
final class NativeMemory {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(NativeMemory.class);
    static final Duration MIN_SPACING = Duration.ofSeconds(10);
    private static final MethodHandle MALLOC_TRIM = find();
    private static final AtomicLong lastTrimNanos = new AtomicLong(System.nanoTime() - MIN_SPACING.toNanos());
    private static final AtomicLong trims = new AtomicLong();

    private NativeMemory() {
    }

    private static MethodHandle find() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("malloc_trim")
                    .map(s -> linker.downcallHandle(s, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG)))
                    .orElse(null);
        } catch (RuntimeException | LinkageError e) {
            LOG.log(System.Logger.Level.DEBUG, "no malloc_trim: memory freed by SQLite stays with the allocator ({0})", e.toString());
            return null;
        }
    }

    /** Trims unless a trim ran within MIN_SPACING; returns whether this call trimmed. */
    static boolean trimSoon() {
        if (MALLOC_TRIM == null) {
            return false;
        }
        long last = lastTrimNanos.get();
        long now = System.nanoTime();
        if (now - last < MIN_SPACING.toNanos() || !lastTrimNanos.compareAndSet(last, now)) {
            return false;
        }
        try {
            int released = (int) MALLOC_TRIM.invokeExact(0L);
            trims.incrementAndGet();
            return released >= 0;
        } catch (Throwable e) {
            LOG.log(System.Logger.Level.DEBUG, "malloc_trim failed: {0}", e.toString());
            return false;
        }
    }

    /** Whether trimming is possible here (glibc found and native access allowed). */
    static boolean available() {
        return MALLOC_TRIM != null;
    }

    /** Trims done since the start, for tests. */
    static long trims() {
        return trims.get();
    }
}
