package io.litestream4j;

import java.time.Duration;
import java.util.List;

/**
 * How a replica's files are compacted and kept, with Litestream's defaults.
 *
 * @param levelIntervals the interval of levels 1, 2, ... (up to 8 levels)
 * @param snapshotInterval how often a snapshot (level 9) is written
 * @param snapshotRetention how long snapshots are kept (the newest is always kept)
 * @param l0Retention how long L0 files stay after a level-1 file covers them
 * @param retentionEnabled false: nothing is ever deleted (for buckets with their own lifecycle rules)
 * @param retentionCheckInterval how often retention runs (Litestream's l0-retention-check-interval)
 */
public record CompactionSettings(
        List<Duration> levelIntervals,
        Duration snapshotInterval,
        Duration snapshotRetention,
        Duration l0Retention,
        boolean retentionEnabled,
        Duration retentionCheckInterval) {

    public static final int MAX_LEVELS = 8;
    public static final Duration DEFAULT_RETENTION_CHECK_INTERVAL = Duration.ofSeconds(15);

    /** With retention checked every 15 s, Litestream's default. */
    public CompactionSettings(List<Duration> levelIntervals, Duration snapshotInterval, Duration snapshotRetention, Duration l0Retention,
            boolean retentionEnabled) {
        this(levelIntervals, snapshotInterval, snapshotRetention, l0Retention, retentionEnabled, DEFAULT_RETENTION_CHECK_INTERVAL);
    }

    public CompactionSettings {
        levelIntervals = List.copyOf(levelIntervals);
        if (levelIntervals.isEmpty() || levelIntervals.size() > MAX_LEVELS) {
            throw new IllegalArgumentException("levels: want 1 to %d compaction levels, got %d".formatted(MAX_LEVELS, levelIntervals.size()));
        }
        for (int i = 0; i < levelIntervals.size(); i++) {
            Duration d = levelIntervals.get(i);
            if (d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException("levels[%d].interval: want a positive duration, got %s".formatted(i, d));
            }
            if (i > 0 && d.compareTo(levelIntervals.get(i - 1)) < 0) {
                throw new IllegalArgumentException("levels[%d].interval: want at least the level below's %s, got %s"
                        .formatted(i, levelIntervals.get(i - 1), d));
            }
        }
        if (retentionCheckInterval.isZero() || retentionCheckInterval.isNegative()) {
            throw new IllegalArgumentException("l0-retention-check-interval: want a positive duration, got " + retentionCheckInterval);
        }
        if (snapshotInterval.isZero() || snapshotInterval.isNegative() || snapshotRetention.isNegative() || l0Retention.isNegative()) {
            throw new IllegalArgumentException("snapshot interval must be positive and retentions non-negative: %s, %s, %s"
                    .formatted(snapshotInterval, snapshotRetention, l0Retention));
        }
    }

    public static CompactionSettings defaults() {
        return new CompactionSettings(List.of(Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofHours(1)),
                Duration.ofHours(24), Duration.ofHours(24), Duration.ofMinutes(5), true);
    }

    /** The highest compaction level (1-8). */
    public int maxLevel() {
        return levelIntervals.size();
    }

    public Duration interval(int level) {
        return levelIntervals.get(level - 1);
    }
}
