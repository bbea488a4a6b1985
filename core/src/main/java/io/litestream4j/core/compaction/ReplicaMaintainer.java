package io.litestream4j.core.compaction;

import io.litestream4j.CompactionSettings;
import io.litestream4j.core.replica.ReplicaHealth;
import io.litestream4j.ReplicationEvents;
import io.litestream4j.ltx.LtxFormatException;
import io.litestream4j.core.replica.CachingReplicaClient;
import io.litestream4j.core.replica.ErrorCodes;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.ltx.LtxFileInfo;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * Runs a replica's compactions, snapshots and retention on their wall-clock schedules
 * ({@link #start}). {@link #runDue} does one round for a given time, so tests drive the schedule
 * with a fake clock instead of sleeping. Each round runs a fixed {@link #spread} after its time,
 * at most CONCURRENT_ROUNDS rounds of the process's replicas at once; a compaction or a
 * retention run is passed over while the replica is unchanged since the last one that worked
 * (and, for retention, until a file reaches a cutoff), so an idle replica costs no work.
 *
 * <p>A failure makes the replica unhealthy (under the task's key in {@link ReplicaHealth}) until
 * the task works again. A failed task is retried soon, {@link #FIRST_RETRY} after the failure and
 * then twice as late each time up to {@link #MAX_RETRY} (never later than its schedule), so after a
 * storage outage health recovers within seconds, not at the task's next interval (an hour for
 * level 3); a corrupt stored file is not retried early, as retrying never heals it. It is logged as a warning the first times, and as an error (an alarm)
 * once the same task failed {@link #ALARM_AFTER} times in a row, or at once when a stored file is
 * corrupt: that never heals by retrying. A corrupt file is also counted with the replica's
 * failed requests ({@link ReplicationEvents#replicaFileCorrupt}).
 */
public final class ReplicaMaintainer implements AutoCloseable {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(ReplicaMaintainer.class);
    /** Consecutive failures of one task that make an alarm: a transient error rarely lasts three rounds. */
    public static final int ALARM_AFTER = 3;

    /**
     * How often the replica is probed (levels 0 and 9 listed, bypassing the listing cache) to make
     * sure it still holds what we wrote, so a replica wiped or emptied by a lifecycle rule turns
     * health red and is seeded within minutes (see {@link #replicaChangedBehindOurBack}). A
     * compaction that finds an input gone checks at once.
     */
    static final Duration CHAIN_CHECK_INTERVAL = Duration.ofMinutes(5);

    /**
     * While nothing is written to the replica, each probe waits twice as long as the one before,
     * up to this: an idle replica then costs 2 LISTs an hour instead of 24. Every 5 minutes was
     * 576 LISTs a day per replica, about $0.09 a month on S3, or $860 a month for 10,000 idle
     * databases, to notice within 5 minutes a wipe of a replica that nothing is written to. The
     * next write brings the probe back to every CHAIN_CHECK_INTERVAL.
     */
    static final Duration CHAIN_CHECK_MAX_INTERVAL = Duration.ofHours(1);

    /** Who is told what a fresh listing holds: the replica's uploader, which seeds a replica that lost its chain. */
    public interface ChainCheck {
        /** The highest TXID uploaded to the replica so far. */
        long position();

        /**
         * {@code all}: every file of every level, listed after the position was {@code
         * positionBefore}; returns whether the replica holds a restorable chain.
         */
        boolean check(List<LtxFileInfo> all, long positionBefore);
    }

    private final ReplicaCompactor compactor;
    private final CompactionSettings settings;
    private final Clock clock;
    private final ReplicaHealth health;
    private final ReplicationEvents events;
    /** The first early retry of a failed task. */
    static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    /** The longest pause between early retries, the same as the uploader's. */
    static final Duration MAX_RETRY = Duration.ofSeconds(5);

    /** Per task ("compact level 1", "snapshot", "retention"): failures since it last worked. Used by the maintainer's thread only. */
    private final Map<String, Integer> failuresInARow = new HashMap<>();
    /** Per failed task: when to retry it, if sooner than its schedule. Used by the maintainer's thread only. */
    private final Map<String, Instant> retries = new HashMap<>();
    /** The time of the round in progress. */
    private Instant roundTime;
    private final Instant[] nextLevel;
    private Instant nextSnapshot;
    private Instant nextRetention;
    private final ChainCheck chainCheck;
    /** Takes a snapshot from the local database; null when snapshots are merged from the replica's files. */
    private final Runnable localSnapshot;
    private Instant nextChainCheck;
    /** The wait before {@link #nextChainCheck}, from the last probe (the start before the first). */
    private Duration chainCheckEvery = CHAIN_CHECK_INTERVAL;
    /** The replica's change count at the last probe ({@link #changes}); -1: none yet, or no cache. */
    private long chainSeen = -1;
    /** A task found a file gone: the replica changed behind our back; list it afresh at the next round. */
    private boolean filesVanished;
    /**
     * Per level: the replica's {@link CachingReplicaClient#changes} read before the level's last
     * compaction that worked, or -1: while it is unchanged, the level has nothing new to compact.
     */
    private final long[] levelSeen;
    /** The same for retention, and until when its last run said the same files give it nothing to do. */
    private long retentionSeen = -1;
    private Instant retentionQuietUntil = Instant.MIN;
    private volatile boolean running = true;
    /** Guards the schedule: {@link #pending} and {@link #round}. */
    private final Object schedule = new Object();
    /** The timer's wake-up for the next due time, or null. */
    private io.litestream4j.core.ProcessTimer.Pending pending;
    /** The round's thread while one runs, else null. */
    private Thread round;
    private Duration delay = Duration.ZERO;
    /** The name of the round's thread, built once at {@link #start} (a round is scheduled every 15 s or so). */
    private String threadName;

    public ReplicaMaintainer(ReplicaCompactor compactor, CompactionSettings settings, Clock clock) {
        this(compactor, settings, clock, new ReplicaHealth());
    }

    /** Reports failed compactions, snapshots and retention runs to {@code health} (and clears them when they work again). */
    public ReplicaMaintainer(ReplicaCompactor compactor, CompactionSettings settings, Clock clock, ReplicaHealth health) {
        this(compactor, settings, clock, health, ReplicationEvents.NONE, null);
    }

    /**
     * Also reports stored files found corrupt to {@code events}, for the error metrics, and lists
     * the replica afresh now and then for {@code chainCheck} (null: never).
     */
    public ReplicaMaintainer(ReplicaCompactor compactor, CompactionSettings settings, Clock clock, ReplicaHealth health,
            ReplicationEvents events, ChainCheck chainCheck) {
        this(compactor, settings, clock, health, events, chainCheck, null);
    }

    /**
     * For a replica whose files cannot be read ({@link io.litestream4j.core.replica.WriteOnly}):
     * no compaction (it merges stored files); the scheduled snapshot is {@code localSnapshot}
     * (one taken from the local database and uploaded to level 9), asked for only when the
     * replica's newest snapshot is older than its position; retention and the chain check run as
     * usual (they decide from listings). Null {@code localSnapshot}: a replica read as usual.
     */
    public ReplicaMaintainer(ReplicaCompactor compactor, CompactionSettings settings, Clock clock, ReplicaHealth health,
            ReplicationEvents events, ChainCheck chainCheck, Runnable localSnapshot) {
        if (localSnapshot != null && chainCheck == null) {
            throw new IllegalArgumentException("a snapshot from the local database needs the uploader's position (chainCheck)");
        }
        this.localSnapshot = localSnapshot;
        this.events = events;
        this.compactor = compactor;
        this.chainCheck = chainCheck;
        this.health = health;
        this.settings = settings;
        this.clock = clock;
        Instant now = clock.instant();
        this.nextLevel = new Instant[settings.maxLevel() + 1];
        this.levelSeen = new long[settings.maxLevel() + 1];
        java.util.Arrays.fill(levelSeen, -1);
        for (int level = 1; level <= settings.maxLevel(); level++) {
            nextLevel[level] = CompactionSchedule.next(now, settings.interval(level));
        }
        this.nextSnapshot = CompactionSchedule.next(now, settings.snapshotInterval());
        this.nextRetention = CompactionSchedule.next(now, settings.retentionCheckInterval());
        this.nextChainCheck = now.plus(CHAIN_CHECK_INTERVAL);
        this.chainSeen = changes();
    }

    /**
     * Moves the probe after one that ran at {@code now}: twice the last wait if nothing was written
     * to the replica since the probe before (up to CHAIN_CHECK_MAX_INTERVAL), else the base wait.
     */
    private void scheduleNextChainCheck(Instant now) {
        Duration doubled = chainCheckEvery.multipliedBy(2);
        if (!unchangedSince(chainSeen)) {
            chainCheckEvery = CHAIN_CHECK_INTERVAL;
        } else if (doubled.compareTo(CHAIN_CHECK_MAX_INTERVAL) > 0) {
            chainCheckEvery = CHAIN_CHECK_MAX_INTERVAL;
        } else {
            chainCheckEvery = doubled;
        }
        chainSeen = changes();
        nextChainCheck = now.plus(chainCheckEvery);
    }

    /** Something was written since a probe that waits longer than the base: the next one comes at the base wait after it. */
    private void chainCheckBackSoonAfterWrites() {
        if (chainCheckEvery.compareTo(CHAIN_CHECK_INTERVAL) > 0 && !unchangedSince(chainSeen)) {
            Instant lastProbe = nextChainCheck.minus(chainCheckEvery);
            chainCheckEvery = CHAIN_CHECK_INTERVAL;
            nextChainCheck = lastProbe.plus(CHAIN_CHECK_INTERVAL);
        }
    }

    /** Runs every task due at {@code now}: the chain check, each level lowest first, the snapshot, retention. */
    public void runDue(Instant now) {
        roundTime = now;
        if (chainCheck != null) {
            chainCheckBackSoonAfterWrites();
        }
        if (chainCheck != null && (filesVanished || (!now.isBefore(nextChainCheck) && replicaChangedBehindOurBack()))) {
            checkChain();
        }
        if (chainCheck != null && !now.isBefore(nextChainCheck)) {
            scheduleNextChainCheck(now);
        }
        for (int level = 1; level <= settings.maxLevel(); level++) {
            if (!now.isBefore(nextLevel[level])) {
                String what = "compact level " + level;
                long seen = changes();
                // A write-only replica has nothing to compact with: its L0 files wait for retention.
                if (localSnapshot == null && !unchangedSince(levelSeen[level])) {
                    levelSeen[level] = run(what, level) ? seen : -1;
                }
                nextLevel[level] = soonest(CompactionSchedule.next(now, settings.interval(level)), what);
            }
        }
        if (!now.isBefore(nextSnapshot)) {
            // A snapshot merges the whole chain: list it afresh first (a replica wiped since the
            // last listing is seeded by the uploader instead; merging from it would fail).
            if (chainCheck == null || checkChain()) {
                run("snapshot", 0);
            }
            nextSnapshot = soonest(CompactionSchedule.next(now, settings.snapshotInterval()), "snapshot");
        }
        if (!now.isBefore(nextRetention)) {
            if (!retentionQuiet(now)) {
                long seen = changes();
                retentionSeen = -1;
                try {
                    retentionQuietUntil = compactor.retain(now, settings);
                    retentionSeen = seen;
                    succeeded(ReplicaHealth.RETENTION);
                } catch (IOException | RuntimeException e) {
                    if (stopped("retention", e)) {
                        return;
                    }
                    failed(ReplicaHealth.RETENTION, e);
                }
            }
            nextRetention = soonest(CompactionSchedule.next(now, settings.retentionCheckInterval()), ReplicaHealth.RETENTION);
        }
    }

    /**
     * The replica's change count ({@link CachingReplicaClient#changes}), or -1 without the cache
     * (then nothing is ever passed over).
     */
    private long changes() {
        return compactor.client() instanceof CachingReplicaClient cache ? cache.changes() : -1;
    }

    /** Whether nothing was written to or deleted from the replica since the count {@code seen} was read. */
    private boolean unchangedSince(long seen) {
        return seen >= 0 && seen == changes();
    }

    /** Retention would find nothing: the same files as at its last run, and none of them reached a cutoff since. */
    private boolean retentionQuiet(Instant now) {
        return unchangedSince(retentionSeen) && now.isBefore(retentionQuietUntil);
    }

    /**
     * Whether the round due at {@code now} would do nothing but move the schedule on: no chain
     * check or snapshot due (they list the replica), each due level unchanged since it last
     * compacted, retention quiet. Then the schedule moves on here, on the timer's thread, with
     * no thread started: an idle replica's rounds cost a few comparisons (10,000 idle databases
     * make about 700 rounds a second). Not for a write-only replica (its snapshots).
     */
    boolean passIdleRound(Instant now) {
        if (chainCheck != null && (filesVanished || !now.isBefore(nextChainCheck))) {
            return false;
        }
        if (!now.isBefore(nextSnapshot) || localSnapshot != null) {
            return false;
        }
        for (int level = 1; level <= settings.maxLevel(); level++) {
            if (!now.isBefore(nextLevel[level]) && !unchangedSince(levelSeen[level])) { // a failed task's count is -1: never unchanged
                return false;
            }
        }
        if (!now.isBefore(nextRetention) && !retentionQuiet(now)) {
            return false;
        }
        for (int level = 1; level <= settings.maxLevel(); level++) {
            if (!now.isBefore(nextLevel[level])) {
                nextLevel[level] = CompactionSchedule.next(now, settings.interval(level));
            }
        }
        if (!now.isBefore(nextRetention)) {
            nextRetention = CompactionSchedule.next(now, settings.retentionCheckInterval());
        }
        return true;
    }

    /** Runs one task; true if it worked. */
    private boolean run(String what, int level) {
        try {
            if (level == 0 && localSnapshot != null) {
                if (Long.compareUnsigned(compactor.maxTxid(LtxFileInfo.SNAPSHOT_LEVEL), chainCheck.position()) < 0) {
                    localSnapshot.run();
                }
            } else if (level == 0) {
                compactor.snapshot();
            } else {
                compactor.compact(level);
            }
            succeeded(what); // per level: a level with nothing to do must not clear another's failure
            return true;
        } catch (IOException | RuntimeException e) {
            if (stopped(what, e)) {
                return false;
            }
            // The next round retries; inputs are never deleted before an output is verified.
            filesVanished |= e instanceof NoSuchFileException;
            failed(what, e);
            return false;
        }
    }

    /** The scheduled time, or the failed task's early retry if that comes first. */
    private Instant soonest(Instant scheduled, String what) {
        Instant retry = retries.get(what);
        return retry != null && retry.isBefore(scheduled) ? retry : scheduled;
    }

    private void succeeded(String what) {
        health.clear(what);
        failuresInARow.remove(what);
        retries.remove(what);
    }

    private void failed(String what, Exception e) {
        int inARow = failuresInARow.merge(what, 1, Integer::sum);
        LtxFormatException corrupt = corruptFile(e);
        if (corrupt == null) {
            Duration pause = FIRST_RETRY.multipliedBy(1L << Math.min(inARow - 1, 10));
            retries.put(what, roundTime.plus(pause.compareTo(MAX_RETRY) > 0 ? MAX_RETRY : pause));
        } else {
            retries.remove(what);
        }
        String location = compactor.client().location();
        if (corrupt != null) {
            events.replicaFileCorrupt(compactor.client().type(), ErrorCodes.of(corrupt));
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

    /**
     * True if {@code e} is our own stop interrupting the task (a channel closed by the interrupt,
     * an interrupted download): a stop, not a failure, so it is neither logged as one nor reported
     * to health. The task runs again at the next start; nothing half-done was relied on.
     */
    private boolean stopped(String what, Exception e) {
        if (running) {
            return false;
        }
        LOG.log(System.Logger.Level.DEBUG, "{0}: {1} stopped by shutdown ({2})", compactor.client().location(), what, ReplicaHealth.describe(e));
        return true;
    }

    /**
     * The periodic probe, two LISTs: do level 0 (where every upload lands) and the snapshot level
     * still hold what we wrote there? A wipe or an emptying lifecycle rule empties level 0; a rule
     * that removes snapshots shows at level 9. Only a difference costs the full listing of every
     * level, so an idle replica costs two requests per {@link #CHAIN_CHECK_INTERVAL}, not eleven.
     * Without the listing cache (tests) every probe is a full check.
     */
    private boolean replicaChangedBehindOurBack() {
        if (!(compactor.client() instanceof CachingReplicaClient cache)) {
            return true;
        }
        try {
            return !cache.levelUnchanged(0) || !cache.levelUnchanged(LtxFileInfo.SNAPSHOT_LEVEL);
        } catch (IOException | RuntimeException e) {
            if (!stopped("chain probe", e)) {
                LOG.log(System.Logger.Level.WARNING, "{0}: listing the replica to check its chain failed: {1}", compactor.client().location(),
                        ReplicaHealth.describe(e));
            }
            return false;
        }
    }

    /** Lists every level afresh and hands the listing to the chain check; false if the chain is lost or the listing failed. */
    private boolean checkChain() {
        filesVanished = false;
        try {
            long before = chainCheck.position();
            if (compactor.client() instanceof CachingReplicaClient cache) {
                cache.forget();
            }
            return chainCheck.check(RestorePlanner.listAll(compactor.client()), before);
        } catch (IOException | RuntimeException e) {
            if (!stopped("chain check", e)) {
                LOG.log(System.Logger.Level.WARNING, "{0}: listing the replica to check its chain failed: {1}", compactor.client().location(),
                        ReplicaHealth.describe(e));
            }
            return false;
        }
    }

    /** The earliest time anything is due. */
    Instant nextDue() {
        Instant next = nextSnapshot.isBefore(nextRetention) ? nextSnapshot : nextRetention;
        if (chainCheck != null && nextChainCheck.isBefore(next)) {
            next = nextChainCheck;
        }
        for (int level = 1; level <= settings.maxLevel(); level++) {
            if (nextLevel[level].isBefore(next)) {
                next = nextLevel[level];
            }
        }
        return next;
    }

    /**
     * The most a replica's rounds run after their schedule ({@link #spread}): thousands of
     * databases in one process would otherwise all compact at the same 30 s boundary, a burst of
     * CPU and garbage (the heap grew by 50 MB at each boundary with 500 databases) with idle
     * seconds between.
     */
    static final Duration MAX_SPREAD = Duration.ofSeconds(10);
    /**
     * Rounds running at once in the process, across every replica: a burst of due rounds queues
     * here (virtual threads wait cheaply) instead of all allocating their buffers at once.
     */
    static final int CONCURRENT_ROUNDS = 16;
    private static final Semaphore ROUNDS = new Semaphore(CONCURRENT_ROUNDS);

    /**
     * This replica's fixed delay after each scheduled time, from a hash of its location: spread
     * evenly over at most MAX_SPREAD, and over at most a third of the shortest level's interval
     * so a round never slips into the next (the retention check's 15 s makes it 5 s by default). The schedule itself (what is due when, see
     * {@link #runDue}) is unchanged.
     */
    Duration spread() {
        long smallest = Math.min(settings.snapshotInterval().toMillis(), settings.retentionCheckInterval().toMillis());
        for (int level = 1; level <= settings.maxLevel(); level++) {
            smallest = Math.min(smallest, settings.interval(level).toMillis());
        }
        long range = Math.min(MAX_SPREAD.toMillis(), smallest / 3);
        return range <= 0 ? Duration.ZERO : Duration.ofMillis(Math.floorMod(compactor.client().location().hashCode() * 0x9E3779B9L, range));
    }

    /**
     * Runs the rounds from now on, each {@link #spread} after its time: the process's timer
     * ({@link io.litestream4j.core.ProcessTimer}) wakes the replica when its next round is due; a
     * round with nothing to do is passed over there ({@link #passIdleRound}), any other runs on
     * a virtual thread of its own, at most CONCURRENT_ROUNDS at once in the process. Between
     * rounds a replica holds no thread.
     */
    public void start() {
        delay = spread();
        threadName = "compact " + compactor.client().location();
        scheduleNext();
    }

    private void scheduleNext() {
        Duration wait = Duration.between(clock.instant(), nextDue()).plus(delay);
        synchronized (schedule) {
            if (running) {
                pending = io.litestream4j.core.ProcessTimer.after(clock, wait.isNegative() ? Duration.ZERO : wait, threadName, this::due);
            }
        }
    }

    /** On the timer's thread: pass an idle round over, or start the round's thread (once no {@link MaintenanceHold} is held). */
    private void due() {
        if (MaintenanceHold.deferred(this::due)) {
            return;
        }
        synchronized (schedule) {
            if (!running) {
                return;
            }
            if (!passIdleRound(clock.instant())) {
                round = Thread.ofVirtual().name(threadName).start(this::round);
                return;
            }
        }
        scheduleNext();
    }

    private void round() {
        try {
            ROUNDS.acquire();
        } catch (InterruptedException e) {
            return;
        }
        try {
            runDue(clock.instant());
        } finally {
            ROUNDS.release();
            synchronized (schedule) {
                round = null;
            }
            scheduleNext();
        }
    }

    @Override
    public void close() {
        Thread r;
        synchronized (schedule) {
            running = false;
            if (pending != null) {
                pending.cancel();
            }
            r = round;
        }
        if (r != null) {
            r.interrupt();
            try {
                r.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
