package io.litestream4j.core;

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
 */
public record DatabaseOptions(
        Path metaPath,
        Duration busyTimeout,
        Duration monitorInterval,
        Duration checkpointInterval,
        int minCheckpointPageCount,
        int truncatePageN) {

    public static DatabaseOptions defaults() {
        return new DatabaseOptions(null, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMinutes(1), 1000, 121359);
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
    }

    public DatabaseOptions withMetaPath(Path p) {
        return new DatabaseOptions(p, busyTimeout, monitorInterval, checkpointInterval, minCheckpointPageCount, truncatePageN);
    }

    public DatabaseOptions withCheckpoints(Duration interval, int minPages, int truncatePages) {
        return new DatabaseOptions(metaPath, busyTimeout, monitorInterval, interval, minPages, truncatePages);
    }

    public DatabaseOptions withMonitorInterval(Duration d) {
        return new DatabaseOptions(metaPath, busyTimeout, d, checkpointInterval, minCheckpointPageCount, truncatePageN);
    }
}
