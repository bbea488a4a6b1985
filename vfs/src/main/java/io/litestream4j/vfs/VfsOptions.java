package io.litestream4j.vfs;

import java.time.Clock;
import java.time.Duration;

/**
 * How a {@link LitestreamVfs} follows its replica and caches pages.
 *
 * @param pollInterval how often L0 is listed for new files (Litestream's VFS: 1 s)
 * @param replanInterval how often a fresh plan over every level replaces the followed state, so it
 *     moves from L0 files to their compactions before retention removes the L0 files
 * @param cacheBytes the page cache's bound, in bytes of page data, shared by the VFS's connections
 * @param prefetchPages pages read with one ranged read when reads are sequential (1 = no prefetch)
 * @param clock the time source for lag and re-planning
 * @param openWait how long opening the newest state waits for a replica that holds no backup yet
 *     (its first snapshot not uploaded): Litestream's VFS waits without bound; past this bound the
 *     open fails with SQLITE_CANTOPEN and the log and {@link LitestreamVfs#lastError} name the replica
 */
public record VfsOptions(Duration pollInterval, Duration replanInterval, long cacheBytes, int prefetchPages, Clock clock, Duration openWait) {
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_REPLAN_INTERVAL = Duration.ofMinutes(1);
    public static final long DEFAULT_CACHE_BYTES = 32L << 20;
    public static final int DEFAULT_PREFETCH_PAGES = 32;
    /** Long enough for a replicator started at the same time to upload its first snapshot of a small database. */
    public static final Duration DEFAULT_OPEN_WAIT = Duration.ofSeconds(10);

    public VfsOptions {
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("vfs poll interval: want more than 0, got " + pollInterval);
        }
        if (replanInterval.compareTo(pollInterval) < 0) {
            throw new IllegalArgumentException("vfs re-plan interval: want at least the poll interval %s, got %s".formatted(pollInterval, replanInterval));
        }
        if (cacheBytes < 0) {
            throw new IllegalArgumentException("vfs cache size: want 0 or more bytes, got " + cacheBytes);
        }
        if (openWait.isNegative()) {
            throw new IllegalArgumentException("vfs open wait: want 0 or more, got " + openWait);
        }
        if (prefetchPages < 1) {
            throw new IllegalArgumentException("vfs prefetch: want 1 or more pages, got " + prefetchPages);
        }
    }

    /** 1 s polls, a fresh plan every minute, a 32 MiB cache, 32-page prefetch (128 KiB per request with 4 KiB pages), 10 s for a first backup. */
    public static VfsOptions defaults() {
        return new VfsOptions(DEFAULT_POLL_INTERVAL, DEFAULT_REPLAN_INTERVAL, DEFAULT_CACHE_BYTES, DEFAULT_PREFETCH_PAGES, Clock.systemUTC(), DEFAULT_OPEN_WAIT);
    }

    public VfsOptions withPollInterval(Duration d) {
        return new VfsOptions(d, replanInterval.compareTo(d) < 0 ? d : replanInterval, cacheBytes, prefetchPages, clock, openWait);
    }

    public VfsOptions withReplanInterval(Duration d) {
        return new VfsOptions(pollInterval, d, cacheBytes, prefetchPages, clock, openWait);
    }

    public VfsOptions withCacheBytes(long bytes) {
        return new VfsOptions(pollInterval, replanInterval, bytes, prefetchPages, clock, openWait);
    }

    public VfsOptions withPrefetchPages(int pages) {
        return new VfsOptions(pollInterval, replanInterval, cacheBytes, pages, clock, openWait);
    }

    public VfsOptions withOpenWait(Duration d) {
        return new VfsOptions(pollInterval, replanInterval, cacheBytes, prefetchPages, clock, d);
    }

    public VfsOptions withClock(Clock c) {
        return new VfsOptions(pollInterval, replanInterval, cacheBytes, prefetchPages, c, openWait);
    }
}
