package io.litestream4j.core;

import io.litestream4j.ReplicationEvents;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;

/**
 * Runs one database's checkpoints when {@link CheckpointPolicy} says so: PASSIVE under the brief
 * barrier after copying the WAL's tail, or TRUNCATE far past its threshold, followed by a catch-up
 * from the database file because frames committed between the copy and the truncation cannot be
 * told apart afterwards. The time-based checkpoint follows the injected clock. Not thread-safe:
 * the database's sync loop owns it.
 */
final class Checkpointer {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(Checkpointer.class);
    /** Checkpoints up to the pin before the barrier, while more than SMALL_TAIL_FRAMES are left. */
    private static final int EARLY_CHECKPOINT_ROUNDS = 3;
    private static final int SMALL_TAIL_FRAMES = 64;
    /** Times the barrier is raised and let go for work to do without it before a checkpoint is skipped. */
    private static final int BARRIER_ATTEMPTS = 3;

    private final Database db;
    private final SqliteLocks locks;
    private final Path path;
    private final int pageSize;
    private final CheckpointPolicy policy;
    private final Clock clock;
    private ReplicationEvents events = ReplicationEvents.NONE;
    private Runnable beforeBarrier = () -> {};
    private long lastCheckpointMillis;
    private boolean changedSinceCheckpoint;
    /** Where our last checkpoint left the WAL: frames after it are new; null before the first. */
    private WalPosition checkpointedTo;
    private volatile long checkpointCount;

    Checkpointer(Database db, SqliteLocks locks, int pageSize, CheckpointPolicy policy, Clock clock) {
        this.db = db;
        this.locks = locks;
        this.path = db.path();
        this.pageSize = pageSize;
        this.policy = policy;
        this.clock = clock;
        this.lastCheckpointMillis = clock.millis();
    }

    void events(ReplicationEvents e) {
        this.events = e;
    }

    /** For tests: runs right before the barrier is raised, after the work done without it. */
    void beforeBarrier(Runnable r) {
        this.beforeBarrier = r;
    }

    /** Called for every file written: the time-based checkpoint has something to wait for. */
    void fileWritten() {
        changedSinceCheckpoint = true;
    }

    /**
     * Our connections closed and the WAL is gone: SQLite deletes it only after the closing
     * connection, holding the database's exclusive lock (no reader anywhere), checkpointed every
     * frame into the database and synced it. Nothing is left for a timed checkpoint, so a
     * released database does not open its connections again one checkpoint interval after its
     * last write (at start-up, every database one minute after it started).
     */
    void walGone() {
        changedSinceCheckpoint = false;
        checkpointedTo = db.position();
    }

    long checkpointCount() {
        return checkpointCount;
    }

    /** See {@link CheckpointPolicy#millisUntilTimed}. */
    long millisUntilTimedCheckpoint() {
        return policy.millisUntilTimed(framesSinceCheckpoint(), changedSinceCheckpoint, clock.millis() - lastCheckpointMillis);
    }

    /**
     * Checkpoints if the policy says so.
     *
     * @return true if a checkpoint ran
     */
    boolean checkpointIfNeeded() throws IOException {
        CheckpointPolicy.Mode mode = policy.decide(walFrames(), framesSinceCheckpoint(), changedSinceCheckpoint,
                clock.millis() - lastCheckpointMillis);
        if (mode == CheckpointPolicy.Mode.NONE) {
            return false;
        }
        long start = System.nanoTime();
        try {
            if (mode == CheckpointPolicy.Mode.TRUNCATE) {
                truncateCheckpoint();
            } else {
                passiveCheckpoint();
            }
        } catch (SqliteLocks.BusyException e) {
            if (mode == CheckpointPolicy.Mode.TRUNCATE) {
                events.checkpointed(path, mode.name(), System.nanoTime() - start, false);
                throw e;
            }
            // Writers held the lock for the whole busy timeout; the next round tries again,
            // and a WAL that keeps growing ends in a TRUNCATE, which needs no barrier.
            LOG.log(System.Logger.Level.DEBUG, "{0}: checkpoint skipped, database busy", path);
            return false;
        } catch (IOException | RuntimeException e) {
            events.checkpointed(path, mode.name(), System.nanoTime() - start, false);
            throw e;
        }
        events.checkpointed(path, mode.name(), System.nanoTime() - start, true);
        return true;
    }

    /**
     * PASSIVE checkpoint with nothing committed between copying the WAL tail and checkpointing.
     * Writers wait only for the tail to be read into memory and for SQLite to checkpoint it; the
     * tail's L0 file is written after. A crash before that file is written costs a snapshot at the
     * next start (the WAL may have been restarted past frames of ours), never data.
     *
     * @return true if every WAL frame was copied into the database
     */
    boolean passiveCheckpoint() throws IOException {
        for (int attempt = 1; ; attempt++) {
            SqliteLocks.CheckpointResult early = checkpointUpToPin();
            beforeBarrier.run();
            try {
                locks.raiseBarrier();
            } catch (SqliteLocks.BusyException e) {
                // Someone held the write lock throughout, perhaps an application checkpoint waiting
                // for our pin: let go of it.
                db.releasePin();
                throw e;
            }
            long raised = System.nanoTime();
            Database.Capture capture = Database.Capture.NOTHING;
            SqliteLocks.CheckpointResult result = null;
            try {
                try {
                    capture = db.captureNewFrames();
                    if (!(capture instanceof Database.Capture.WorkOutside)) {
                        result = locks.checkpoint("PASSIVE");
                    }
                } finally {
                    locks.lowerBarrier();
                }
            } finally {
                // Written even if the checkpoint failed: the frames are committed, and the WAL may be
                // restarted over them as soon as writers go on.
                if (capture instanceof Database.Capture.Frames t) {
                    db.writeCaptured(t);
                }
            }
            long blockedMicros = (System.nanoTime() - raised) / 1000;
            if (capture instanceof Database.Capture.WorkOutside w) {
                // Nothing was taken under the barrier: the next attempt does the work first, with writers going on.
                LOG.log(System.Logger.Level.DEBUG, "{0}: checkpoint PASSIVE: barrier let go after {1} us: {2} (attempt {3})",
                        path, blockedMicros, w.why(), attempt);
                if (attempt == BARRIER_ATTEMPTS) {
                    throw new SqliteLocks.BusyException(new IOException(("database %s: checkpoint: %s at each of %d attempts; "
                            + "trying again next round").formatted(path, w.why(), attempt)));
                }
                continue;
            }
            LOG.log(System.Logger.Level.DEBUG, "{0}: checkpoint PASSIVE: {1}, before the barrier {2}; writers blocked {3} us ({4} frames read under it)",
                    path, result, early, blockedMicros, capture instanceof Database.Capture.Frames f ? f.pages().length : 0);
            db.checkpointed(result.complete());
            checkpointedTo = db.position();
            counted();
            return result.complete();
        }
    }

    /**
     * Most of a checkpoint's work with writers running: copies the WAL, moves the pin to its end
     * (safe right after a sync, see {@link Database}), and lets SQLite copy the frames up to the
     * pin into the database. Writers commit more meanwhile, so again with those while they are
     * many; the barrier then covers only what was committed since.
     */
    private SqliteLocks.CheckpointResult checkpointUpToPin() throws IOException {
        SqliteLocks.CheckpointResult early;
        int round = 0;
        do {
            db.syncPinned();
            if (db.position() != null) {
                locks.movePin();
            }
            early = locks.checkpointUpToPin();
            if (early.lockedOut()) {
                // Another connection held SQLite's checkpoint lock all the while: most likely the
                // application's FULL, RESTART or TRUNCATE checkpoint waiting for readers (a
                // PASSIVE one never waits). Let go of the WAL so it completes; ours can wait.
                db.releasePin();
                throw new SqliteLocks.BusyException(new IOException(
                        "database %s: checkpoint: another connection holds the checkpoint lock".formatted(path)));
            }
        } while (++round < EARLY_CHECKPOINT_ROUNDS && early.walFrames() - early.checkpointedFrames() > SMALL_TAIL_FRAMES);
        return early;
    }

    private void truncateCheckpoint() throws IOException {
        db.syncPinned();
        SqliteLocks.CheckpointResult result = locks.checkpoint("TRUNCATE");
        // Frames committed between that sync and the truncation are in the database file only:
        // the next sync finds them by comparing pages (see Database#catchUp).
        db.truncated();
        counted();
        LOG.log(System.Logger.Level.INFO, "{0}: checkpoint TRUNCATE: {1}; catching up from the database file", path, result);
        db.sync();
    }

    private void counted() {
        checkpointCount++;
        lastCheckpointMillis = clock.millis();
        changedSinceCheckpoint = false;
    }

    /**
     * Committed frames in the current WAL generation, as far as we have copied them. Not the
     * file's size: SQLite reuses a restarted WAL file without shrinking it, so the size would
     * call for a checkpoint on every sync.
     */
    long walFrames() {
        WalPosition p = db.position();
        return p == null ? 0 : p.frames(pageSize);
    }

    /** Committed frames copied since our last checkpoint (all of them in a newer generation). */
    long framesSinceCheckpoint() {
        WalPosition p = db.position();
        if (p == null) {
            return 0;
        }
        long from = checkpointedTo != null && checkpointedTo.sameGeneration(p) ? checkpointedTo.frames(pageSize) : 0;
        return Math.max(0, p.frames(pageSize) - from);
    }
}
