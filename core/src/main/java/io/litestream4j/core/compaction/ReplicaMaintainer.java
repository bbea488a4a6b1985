package io.litestream4j.core.compaction;

import io.litestream4j.core.ReplicaHealth;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Runs a replica's compactions, snapshots and retention on their wall-clock schedules, on a
 * virtual thread. {@link #runDue} does one round for a given time, so tests drive the schedule
 * with a fake clock instead of sleeping.
 */
public final class ReplicaMaintainer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ReplicaMaintainer.class.getName());

    private final ReplicaCompactor compactor;
    private final CompactionSettings settings;
    private final Clock clock;
    private final ReplicaHealth health;
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
                health.clear(ReplicaHealth.RETENTION);
            } catch (IOException | RuntimeException e) {
                health.report(ReplicaHealth.RETENTION, e);
                LOG.log(System.Logger.Level.WARNING, "{0}: retention failed: {1}", compactor.client().location(), ReplicaHealth.describe(e));
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
            health.clear(what); // per level: a level with nothing to do must not clear another's failure
        } catch (IOException | RuntimeException e) {
            // The next round retries; inputs are never deleted before an output is verified.
            health.report(what, "failed: " + ReplicaHealth.describe(e));
            LOG.log(System.Logger.Level.WARNING, "{0}: {1} failed: {2}", compactor.client().location(), what, ReplicaHealth.describe(e));
        }
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
