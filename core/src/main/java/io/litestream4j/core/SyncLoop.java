package io.litestream4j.core;

import io.litestream4j.core.replica.ReplicaHealth;
import io.litestream4j.ReplicationEvents;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The one caller of a {@link Database}: a virtual thread that syncs the WAL as soon as it may
 * have changed ({@link WalChangeWaiter}), runs the checkpoints, hands new local files to the
 * uploaders (seeding the replicas that need a snapshot), and starts a prune after each round.
 * Every call into the database, the loop's own and those of other threads ({@link #syncNow}, the
 * final sync, the close), holds this object's monitor: the database is not thread-safe.
 */
final class SyncLoop {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(SyncLoop.class);
    /** The least time between two syncs of a database's WAL (see {@link #run}). */
    static final Duration SYNC_SPACING = Duration.ofMillis(10);
    /**
     * Two syncs that both found commits at most this far apart mean a busy writer: the loop then
     * stops its notifications and syncs every SYNC_SPACING instead, until it has found no commit
     * for this long (see {@link WalChangeWaiter#becomeBusy}).
     */
    static final Duration BUSY_GAP = Duration.ofMillis(100);

    private final Database db;
    private final List<ReplicaUploader> uploaders;
    private final WalChangeWaiter waiter;
    private final LocalPruner pruner;
    private final Duration maxBackoff;
    private final Sleeper sleeper;
    private final ReplicationEvents events;
    private volatile boolean running = true;
    private volatile String lastError;
    /** The database was closed: no more syncs. Guarded by this. */
    private boolean closed;
    private Thread thread;

    SyncLoop(Database db, List<ReplicaUploader> uploaders, WalChangeWaiter waiter, LocalPruner pruner, Duration monitorInterval,
            ReplicationEvents events) {
        this.db = db;
        this.uploaders = uploaders;
        this.waiter = waiter;
        this.pruner = pruner;
        this.maxBackoff = monitorInterval;
        this.sleeper = Sleeper.of(db.clock());
        this.events = events;
    }

    void start() {
        thread = Thread.ofVirtual().name("sync " + db.path()).start(this::run);
    }

    /** The last sync or checkpoint error, or null once a sync worked. */
    String lastError() {
        return lastError;
    }

    /**
     * Syncs on the caller's thread, checkpointing if due and waking the uploaders; returns the
     * local TXID, which holds everything committed before the call.
     */
    synchronized long syncNow() throws IOException {
        sync();
        return db.txid();
    }

    /**
     * The sync at a stop, once the loop has ended: as {@link #syncNow}, except for a database
     * whose connections are released and that nothing touched since the loop's last look
     * ({@link WalChangeWaiter#untouchedSinceLastLook}): everything committed is already copied, so
     * it stays released. A process stopping 10,000 mostly dormant databases opened every one of
     * them again at once (seconds of full collections in a 192 MiB heap, and SQLite's memory for
     * each). A replica waiting for a snapshot still gets its sync.
     */
    synchronized long finalSync() throws IOException {
        checkOpen();
        if (db.released() && uploaders.stream().noneMatch(ReplicaUploader::awaitingSeed) && waiter.untouchedSinceLastLook()) {
            return db.txid();
        }
        return syncNow();
    }

    /** Whether file-system notifications are on for our WAL (off while a writer is busy). */
    boolean listening() {
        return waiter.listening();
    }

    /** Records the failure of a sync made outside the loop (the final one), for {@link #lastError}. */
    void failed(String what, Exception e) {
        lastError = what + ": " + ReplicaHealth.describe(e);
    }

    private void run() {
        Duration first = Duration.ofMillis(100);
        Backoff backoff = new Backoff(first.compareTo(maxBackoff) > 0 ? maxBackoff : first, maxBackoff);
        long lastSyncNanos = System.nanoTime();
        long lastWriteNanos = System.nanoTime() - BUSY_GAP.toNanos() - 1;
        while (running) {
            try {
                boolean changed = waiter.await(pinWaiting(), millisUntilTimedCheckpoint(), dormant());
                if (!running) {
                    break;
                }
                if (!changed) {
                    checkpointIfDue(); // the look interval passed with no change: a timed checkpoint's turn
                    releaseIfQuiet();
                    continue;
                }
                // A busy writer changes the WAL thousands of times a second: syncs at least
                // SYNC_SPACING apart take its commits in batches, bounding the L0 files and
                // fsyncs per second, for at most SYNC_SPACING more in the data-loss window.
                long wait = lastSyncNanos + SYNC_SPACING.toNanos() - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                lastSyncNanos = System.nanoTime();
                if (sync()) {
                    if (!waiter.busy() && lastSyncNanos - lastWriteNanos <= BUSY_GAP.toNanos()) {
                        waiter.becomeBusy();
                    }
                    lastWriteNanos = lastSyncNanos;
                } else if (waiter.busy() && lastSyncNanos - lastWriteNanos >= BUSY_GAP.toNanos()) {
                    waiter.listen();
                    sync(); // a commit after the sync above and before the subscription has no notification
                }
                pruner.pruneInBackground();
                backoff.reset();
            } catch (InterruptedException e) {
                break;
            } catch (IOException | RuntimeException e) {
                lastError = ReplicaHealth.describe(e);
                LOG.log(System.Logger.Level.ERROR, "{0}: sync failed: {1}", db.path(), lastError);
                try {
                    sleeper.sleep(backoff.next());
                } catch (InterruptedException ie) {
                    break;
                }
            }
        }
    }

    private synchronized boolean pinWaiting() {
        return !closed && db.waitsForQuiet();
    }

    /** Whether a look that finds no change leaves the loop nothing to do: released, no checkpoint waiting. */
    private synchronized boolean dormant() {
        return !closed && db.released() && db.millisUntilTimedCheckpoint() == Long.MAX_VALUE;
    }

    private synchronized long millisUntilTimedCheckpoint() {
        return closed ? Long.MAX_VALUE : db.millisUntilTimedCheckpoint();
    }

    private synchronized void checkpointIfDue() throws IOException {
        checkOpen();
        if (db.checkpointIfNeeded()) {
            wakeUploaders();
        }
    }

    /**
     * A look interval passed with no change: let go of the database's connections
     * ({@link Database#releaseIfQuiet}), so a process with thousands of quiet databases holds
     * SQLite memory and file descriptors for the busy ones only. The next change reopens them.
     */
    synchronized void releaseIfQuiet() throws IOException {
        checkOpen();
        if (db.releaseIfQuiet()) {
            waiter.released();
            NativeMemory.trimSoon(); // what SQLite freed goes back to the system, not to glibc's arenas
        }
    }

    /** Copies new commits into a local file, checkpoints if due, wakes the uploaders; returns whether there were commits. */
    private synchronized boolean sync() throws IOException {
        checkOpen();
        long start = System.nanoTime();
        Database.SyncResult r;
        waiter.coveredBySync();
        boolean seeding = uploaders.stream().anyMatch(ReplicaUploader::awaitingSeed);
        try {
            if (seeding) {
                db.requestSnapshot();
            }
            r = db.sync();
        } catch (IOException | RuntimeException e) {
            events.synced(db.path(), System.nanoTime() - start, false);
            throw e;
        }
        events.synced(db.path(), System.nanoTime() - start, true);
        if (seeding && r.written().isPresent()) {
            TxidRange full = r.written().get();
            uploaders.forEach(u -> u.seedFrom(full));
        }
        boolean checkpointed = db.checkpointIfNeeded();
        if (r.written().isPresent() || checkpointed) {
            wakeUploaders();
        }
        lastError = null;
        return r.written().isPresent();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("replication of %s is closed".formatted(db.path()));
        }
    }

    private void wakeUploaders() {
        uploaders.forEach(ReplicaUploader::wake);
    }

    /**
     * Ends the loop: it finishes the sync it is in (an interrupt could cut a file write short),
     * then returns; no background prune is running afterwards. {@link #syncNow} still works.
     */
    void stop() throws InterruptedException {
        running = false;
        waiter.close();
        if (thread != null) {
            thread.join(maxBackoff.toMillis() + 30_000);
        }
        pruner.awaitBackground();
    }

    /** Stops the loop if it runs, and closes the database and the waiter. Idempotent. */
    void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            if (!closed) {
                closed = true;
                db.close();
            }
        }
        waiter.release();
    }
}
