package io.litestream4j;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Per-database settings, with Litestream's defaults.
 *
 * @param metaPath where local state lives; null for {@code <dir>/.<name>-litestream}
 * @param busyTimeout how long our connections wait for SQLite locks
 * @param monitorInterval how often the WAL is checked when no file-system notification arrives
 * @param checkpointInterval a PASSIVE checkpoint at least this often while the database changes
 * @param minCheckpointPageCount a PASSIVE checkpoint once the WAL holds this many frames
 * @param truncatePageN a TRUNCATE checkpoint once the WAL holds this many frames (0: never)
 * @param maxSyncWalBytes the most WAL one L0 file takes, up to the next commit (0: no limit): a
 *     larger backlog becomes several files, and the memory to index one stays bounded
 */
public record DatabaseOptions(
        Path metaPath,
        Duration busyTimeout,
        Duration monitorInterval,
        Duration checkpointInterval,
        int minCheckpointPageCount,
        int truncatePageN,
        long maxSyncWalBytes) {
    /** Litestream 0.5's default for max-sync-wal-bytes. */
    public static final long DEFAULT_MAX_SYNC_WAL_BYTES = 64L << 20;

    public static DatabaseOptions defaults() {
        return new DatabaseOptions(null, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMinutes(1), 1000, 121359);
    }

    /** With the default max-sync-wal-bytes. */
    public DatabaseOptions(Path metaPath, Duration busyTimeout, Duration monitorInterval, Duration checkpointInterval,
            int minCheckpointPageCount, int truncatePageN) {
        this(metaPath, busyTimeout, monitorInterval, checkpointInterval, minCheckpointPageCount, truncatePageN, DEFAULT_MAX_SYNC_WAL_BYTES);
    }

    public DatabaseOptions {
        if (busyTimeout.isNegative() || monitorInterval.isNegative() || monitorInterval.isZero() || checkpointInterval.isNegative()) {
            throw new IllegalArgumentException("durations must be positive: busy-timeout %s, monitor-interval %s, checkpoint-interval %s"
                    .formatted(busyTimeout, monitorInterval, checkpointInterval));
        }
        if (minCheckpointPageCount < 1 || truncatePageN < 0) {
            throw new IllegalArgumentException("min-checkpoint-page-count must be at least 1 and truncate-page-n at least 0, got %d and %d"
                    .formatted(minCheckpointPageCount, truncatePageN));
        }
        if (maxSyncWalBytes < 0) {
            throw new IllegalArgumentException("max-sync-wal-bytes must be 0 (no limit) or more, got %d".formatted(maxSyncWalBytes));
        }
    }

    /** The most WAL bytes one L0 file takes; {@link Long#MAX_VALUE} for no limit. */
    public long syncWalLimit() {
        return maxSyncWalBytes == 0 ? Long.MAX_VALUE : maxSyncWalBytes;
    }

    public DatabaseOptions withMetaPath(Path p) {
        return new DatabaseOptions(p, busyTimeout, monitorInterval, checkpointInterval, minCheckpointPageCount, truncatePageN, maxSyncWalBytes);
    }

    public DatabaseOptions withCheckpoints(Duration interval, int minPages, int truncatePages) {
        return new DatabaseOptions(metaPath, busyTimeout, monitorInterval, interval, minPages, truncatePages, maxSyncWalBytes);
    }

    public DatabaseOptions withMonitorInterval(Duration d) {
        return new DatabaseOptions(metaPath, busyTimeout, d, checkpointInterval, minCheckpointPageCount, truncatePageN, maxSyncWalBytes);
    }

    public DatabaseOptions withMaxSyncWalBytes(long bytes) {
        return new DatabaseOptions(metaPath, busyTimeout, monitorInterval, checkpointInterval, minCheckpointPageCount, truncatePageN, bytes);
    }
}
