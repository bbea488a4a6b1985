package io.litestream4j.core.compaction;

import io.litestream4j.core.ReplicaHealth;
import io.litestream4j.core.ReplicationEvents;
import io.litestream4j.ltx.LtxFormatException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Runs a replica's compactions, snapshots and retention on their wall-clock schedules, on a
 * virtual thread. {@link #runDue} does one round for a given time, so tests drive the schedule
 * with a fake clock instead of sleeping.
 *
 * <p>A failure makes the replica unhealthy (under the task's key in {@link ReplicaHealth}) until
 * the task works again. It is logged as a warning the first times, and as an error (an alarm)
 * once the same task failed {@link #ALARM_AFTER} times in a row, or at once when a stored file is
 * corrupt: that never heals by retrying. A corrupt file is also counted with the replica's
 * failed requests ({@link ReplicationEvents#replicaFileCorrupt}).
 */
public final class ReplicaMaintainer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ReplicaMaintainer.class.getName());
    /** Consecutive failures of one task that make an alarm: a transient error rarely lasts three rounds. */
    public static final int ALARM_AFTER = 3;

    private final ReplicaCompactor compactor;
    private final CompactionSettings settings;
    private final Clock clock;
    private final ReplicaHealth health;
    private final ReplicationEvents events;
    /** Per task ("compact level 1", "snapshot", "retention"): failures since it last worked. Used by the maintainer's thread only. */
    private final Map<String, Integer> failuresInARow = new HashMap<>();
    private final Instant[] nextLevel;
    private Instant nextSnapshot;
    private Instant nextRetention;
    private volatile boolean running = true;
    private Thread thread;

    public ReplicaMaintainer(ReplicaCompactor compactor, CompactionSettings settings, Clock clock) {
        this(compactor, settings, clock, new ReplicaHealth());
    }

    /** Reports failed compactions, snapshots and retention runs to {@code health} (and clears them when they work again). */
    public ReplicaMaintainer(ReplicaCompactor compactor, CompactionSettings settings, Clock clock, ReplicaHealth health) {
        this(compactor, settings, clock, health, ReplicationEvents.NONE);
    }

    /** Also reports stored files found corrupt to {@code events}, for the error metrics. */
    public ReplicaMaintainer(ReplicaCompactor compactor, CompactionSettings settings, Clock clock, ReplicaHealth health, ReplicationEvents events) {
        this.events = events;
        this.compactor = compactor;
        this.health = health;
        this.settings = settings;
        this.clock = clock;
        Instant now = clock.instant();
        this.nextLevel = new Instant[settings.maxLevel() + 1];
        for (int level = 1; level <= settings.maxLevel(); level++) {
            nextLevel[level] = CompactionSchedule.next(now, settings.interval(level));
        }
        this.nextSnapshot = CompactionSchedule.next(now, settings.snapshotInterval());
        this.nextRetention = CompactionSchedule.next(now, settings.retentionCheckInterval());
    }

    /** Runs every task due at {@code now}, lowest level first, then the snapshot, then retention. */
    public void runDue(Instant now) {
        for (int level = 1; level <= settings.maxLevel(); level++) {
            if (!now.isBefore(nextLevel[level])) {
                run("compact level " + level, level);
                nextLevel[level] = CompactionSchedule.next(now, settings.interval(level));
            }
        }
        if (!now.isBefore(nextSnapshot)) {
            run("snapshot", 0);
            nextSnapshot = CompactionSchedule.next(now, settings.snapshotInterval());
        }
        if (!now.isBefore(nextRetention)) {
            try {
                compactor.enforceRetention(now, settings);
                succeeded(ReplicaHealth.RETENTION);
            } catch (IOException | RuntimeException e) {
                failed(ReplicaHealth.RETENTION, e);
            }
            nextRetention = CompactionSchedule.next(now, settings.retentionCheckInterval());
        }
    }

    private void run(String what, int level) {
        try {
            if (level == 0) {
                compactor.snapshot();
            } else {
                compactor.compact(level);
            }
            succeeded(what); // per level: a level with nothing to do must not clear another's failure
        } catch (IOException | RuntimeException e) {
            // The next round retries; inputs are never deleted before an output is verified.
            failed(what, e);
        }
    }

    private void succeeded(String what) {
        health.clear(what);
        failuresInARow.remove(what);
    }

    private void failed(String what, Exception e) {
        int inARow = failuresInARow.merge(what, 1, Integer::sum);
        LtxFormatException corrupt = corruptFile(e);
        String location = compactor.client().location();
        if (corrupt != null) {
            events.replicaFileCorrupt(compactor.client().type(), corrupt.getClass().getSimpleName());
            health.report(what, "failed: stored file corrupt: " + ReplicaHealth.describe(e));
            LOG.log(System.Logger.Level.ERROR, "{0}: {1} failed ({2} in a row): a stored file is corrupt: {3}", location, what, inARow,
                    ReplicaHealth.describe(e));
        } else if (inARow >= ALARM_AFTER) {
            health.report(what, "failed %d times in a row: %s".formatted(inARow, ReplicaHealth.describe(e)));
            LOG.log(System.Logger.Level.ERROR, "{0}: {1} failed {2} times in a row: {3}", location, what, inARow, ReplicaHealth.describe(e));
        } else {
            health.report(what, "failed: " + ReplicaHealth.describe(e));
            LOG.log(System.Logger.Level.WARNING, "{0}: {1} failed: {2}", location, what, ReplicaHealth.describe(e));
        }
    }

    /** The malformed LTX file behind a failure (its message names the file), or null if none is. */
    private static LtxFormatException corruptFile(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof LtxFormatException f) {
                return f;
            }
        }
        return null;
    }

    /** The earliest time anything is due. */
    Instant nextDue() {
        Instant next = nextSnapshot.isBefore(nextRetention) ? nextSnapshot : nextRetention;
        for (int level = 1; level <= settings.maxLevel(); level++) {
            if (nextLevel[level].isBefore(next)) {
                next = nextLevel[level];
            }
        }
        return next;
    }

    public void start() {
        thread = Thread.ofVirtual().name("compact " + compactor.client().location()).start(() -> {
            while (running) {
                long wait = Duration.between(clock.instant(), nextDue()).toMillis();
                if (wait > 0) {
                    try {
                        Thread.sleep(wait);
                    } catch (InterruptedException e) {
                        return;
                    }
                    continue;
                }
                runDue(clock.instant());
            }
        });
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
