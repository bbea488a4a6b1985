package io.litestream4j.core.compaction;

import java.time.Duration;
import java.time.Instant;

/**
 * Wall-clock schedule maths, pure so it is tested without sleeping: a level with interval I runs
 * at every multiple of I since the epoch (a 30 s level at :00 and :30 of every minute).
 */
public final class CompactionSchedule {
    private CompactionSchedule() {}

    /** The latest multiple of {@code interval} at or before {@code now}. */
    public static Instant previous(Instant now, Duration interval) {
        long step = interval.toMillis();
        long t = now.toEpochMilli();
        return Instant.ofEpochMilli(Math.floorDiv(t, step) * step);
    }

    /** The first multiple of {@code interval} after {@code now}. */
    public static Instant next(Instant now, Duration interval) {
        return previous(now, interval).plus(interval);
    }
}
