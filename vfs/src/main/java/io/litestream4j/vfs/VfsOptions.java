package io.litestream4j.vfs;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * How a {@link LitestreamVfs} follows its replica and caches pages.
 *
 * @param pollInterval how often L0 is listed for new files (Litestream's VFS: 1 s)
 * @param replanAfterFiles after how many L0 files added to the followed state a fresh plan over
 *     every level is made (in the background), so the state moves from L0 files to their
 *     compactions and holds few files; a gap in L0 or a vanished file re-plans at once
 * @param cacheBytes the page cache's bound, in bytes of page data, shared by the VFS's connections
 * @param prefetchPages pages read with one ranged read when reads are sequential (1 = no prefetch)
 * @param clock the time source for lag and re-planning
 * @param openWait how long opening the newest state waits for a replica that holds no backup yet
 *     (its first snapshot not uploaded): Litestream's VFS waits without bound; past this bound the
 *     open fails with SQLITE_CANTOPEN and the log and {@link LitestreamVfs#lastError} name the replica
 * @param ageIdentitiesFile for a replica encrypted with age: the file of its identities
 *     ({@code AGE-SECRET-KEY-1...}, one a line, as {@code age -i} reads them), or null for a plain
 *     replica; {@link LitestreamVfs#register(String, String, VfsOptions)} reads through the same
 *     decryption as {@code restore}. The keys are never logged.
 * @param hydrationFile a local file the VFS copies the followed state into in the background and
 *     keeps following, so reads come from the local disk (see {@link Hydrator}); null for none
 */
public record VfsOptions(Duration pollInterval, int replanAfterFiles, long cacheBytes, int prefetchPages, Clock clock, Duration openWait, Path ageIdentitiesFile, Path hydrationFile) {
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
    /** About a minute of L0 files at one sync a second, as often as the default L1 compaction (30 s) has replaced them. */
    public static final int DEFAULT_REPLAN_AFTER_FILES = 64;
    public static final long DEFAULT_CACHE_BYTES = 32L << 20;
    public static final int DEFAULT_PREFETCH_PAGES = 32;
    /** Long enough for a replicator started at the same time to upload its first snapshot of a small database. */
    public static final Duration DEFAULT_OPEN_WAIT = Duration.ofSeconds(10);

    public VfsOptions {
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("vfs poll interval: want more than 0, got " + pollInterval);
        }
        if (replanAfterFiles < 1) {
            throw new IllegalArgumentException("vfs re-plan after files: want 1 or more, got " + replanAfterFiles);
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

    /** 1 s polls, a fresh plan after 64 L0 files, a 32 MiB cache, 32-page prefetch (128 KiB per request with 4 KiB pages), 10 s for a first backup. */
    public static VfsOptions defaults() {
        return new VfsOptions(DEFAULT_POLL_INTERVAL, DEFAULT_REPLAN_AFTER_FILES, DEFAULT_CACHE_BYTES, DEFAULT_PREFETCH_PAGES, Clock.systemUTC(), DEFAULT_OPEN_WAIT, null, null);
    }

    public VfsOptions withPollInterval(Duration d) {
        return new VfsOptions(d, replanAfterFiles, cacheBytes, prefetchPages, clock, openWait, ageIdentitiesFile, hydrationFile);
    }

    public VfsOptions withReplanAfterFiles(int files) {
        return new VfsOptions(pollInterval, files, cacheBytes, prefetchPages, clock, openWait, ageIdentitiesFile, hydrationFile);
    }

    public VfsOptions withCacheBytes(long bytes) {
        return new VfsOptions(pollInterval, replanAfterFiles, bytes, prefetchPages, clock, openWait, ageIdentitiesFile, hydrationFile);
    }

    public VfsOptions withPrefetchPages(int pages) {
        return new VfsOptions(pollInterval, replanAfterFiles, cacheBytes, pages, clock, openWait, ageIdentitiesFile, hydrationFile);
    }

    public VfsOptions withOpenWait(Duration d) {
        return new VfsOptions(pollInterval, replanAfterFiles, cacheBytes, prefetchPages, clock, d, ageIdentitiesFile, hydrationFile);
    }

    public VfsOptions withClock(Clock c) {
        return new VfsOptions(pollInterval, replanAfterFiles, cacheBytes, prefetchPages, c, openWait, ageIdentitiesFile, hydrationFile);
    }

    public VfsOptions withAgeIdentitiesFile(Path file) {
        return new VfsOptions(pollInterval, replanAfterFiles, cacheBytes, prefetchPages, clock, openWait, file, hydrationFile);
    }

    public VfsOptions withHydrationFile(Path file) {
        return new VfsOptions(pollInterval, replanAfterFiles, cacheBytes, prefetchPages, clock, openWait, ageIdentitiesFile, file);
    }
}
