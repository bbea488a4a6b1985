package io.litestream4j.core;

import io.litestream4j.DatabaseOptions;
import java.time.Duration;

/**
 * When to checkpoint, as a pure function of the WAL's size, what we copied since our last
 * checkpoint and the time since it (Litestream's rules): a TRUNCATE once the WAL holds
 * {@code truncatePages} frames; else a PASSIVE once {@code minPages} frames were copied since our
 * last checkpoint, or once {@code interval} has passed with any frame copied.
 *
 * @param interval a PASSIVE checkpoint at least this often while the database changes
 * @param minPages a PASSIVE checkpoint once this many frames were copied since the last one
 * @param truncatePages a TRUNCATE checkpoint once the WAL holds this many frames (0: never)
 */
record CheckpointPolicy(Duration interval, long minPages, long truncatePages) {
    enum Mode { NONE, PASSIVE, TRUNCATE }

    static CheckpointPolicy of(DatabaseOptions options) {
        return new CheckpointPolicy(options.checkpointInterval(), options.minCheckpointPageCount(), options.truncatePageN());
    }

    /**
     * @param walFrames committed frames in the current WAL generation, as far as we copied them
     * @param newFrames frames copied since our last checkpoint
     * @param changed whether we wrote a file since our last checkpoint
     * @param millisSinceLast milliseconds since our last checkpoint (or since the start)
     */
    Mode decide(long walFrames, long newFrames, boolean changed, long millisSinceLast) {
        if (truncatePages > 0 && walFrames >= truncatePages) {
            return Mode.TRUNCATE;
        }
        boolean dueByTime = changed && millisSinceLast >= interval.toMillis();
        return newFrames >= minPages || (dueByTime && newFrames > 0) ? Mode.PASSIVE : Mode.NONE;
    }

    /**
     * Milliseconds until the time-based checkpoint falls due (0 if it is due), or
     * {@link Long#MAX_VALUE} when nothing copied since the last checkpoint waits for one.
     */
    long millisUntilTimed(long newFrames, boolean changed, long millisSinceLast) {
        if (!changed || newFrames == 0) {
            return Long.MAX_VALUE;
        }
        return Math.max(0, interval.toMillis() - millisSinceLast);
    }
}
