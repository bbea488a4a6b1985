package io.litestream4j.core;

import io.litestream4j.core.compaction.CompactionSettings;
import io.litestream4j.core.compaction.ReplicaCompactor;
import io.litestream4j.core.compaction.ReplicaMaintainer;
import io.litestream4j.core.replica.CachingReplicaClient;
import io.litestream4j.core.replica.HealthReporting;
import io.litestream4j.core.replica.InstrumentedReplicaClient;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Replicates one database to its replicas: a virtual thread that syncs the WAL as soon as the
 * file system reports a change (or every monitor interval, checking only the WAL's size and
 * modification time), checkpoints, wakes the uploaders, and removes local files every replica
 * holds. An idle database costs one stat per monitor interval and writes nothing.
 */
public final class DatabaseReplicator implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DatabaseReplicator.class.getName());
    /** The least time between two syncs of a database's WAL (see {@link #run}). */
    static final Duration SYNC_SPACING = Duration.ofMillis(10);
    /** With notifications, the WAL is still looked at every this many monitor-intervals. */
    static final int NOTIFIED_LOOKS = 10;
    /**
     * Two syncs that both found commits at most this far apart mean a busy writer: the loop then
     * stops its notifications and syncs every SYNC_SPACING instead, until it has found no commit
     * for this long (see {@link #becomeBusy}).
     */
    static final Duration BUSY_GAP = Duration.ofMillis(100);

    /**
     * One destination, its minimum spacing between uploads, and its own compaction, snapshot and
     * retention settings (null: the database's).
     */
    public record Destination(ReplicaClient client, Duration syncInterval, CompactionSettings compaction) {
        public Destination(ReplicaClient client, Duration syncInterval) {
            this(client, syncInterval, null);
        }
    }

    private final Database db;
    private final List<ReplicaUploader> uploaders;
    private final List<ReplicaMaintainer> maintainers = new ArrayList<>();
    private List<Destination> destinations = List.of();
    private final DatabaseOptions options;
    /** The process's file-system watcher; null when the platform has none (then we poll). */
    private WalWatcher watcher;
    /** Our WAL's notifications; null when polling, always or while a writer is busy. Changed under changeSignal. */
    private volatile WalWatcher.Subscription subscription;
    /** A writer is committing continuously: the loop syncs every SYNC_SPACING, notifications off. */
    private boolean busy;
    private final Object changeSignal = new Object();
    private boolean changeSignalled;
    private final ReplicationEvents events;
    private volatile boolean running = true;
    private volatile String lastError;
    private Thread loop;
    /** The last background prune: started by the loop, awaited by stop and close after the loop ends. */
    private volatile Thread pruner;
    private long seenWalSize = -1;
    private long seenWalModified = -1;

    private DatabaseReplicator(Database db, List<ReplicaUploader> uploaders, DatabaseOptions options, ReplicationEvents events) {
        this.db = db;
        this.events = events;
        this.uploaders = uploaders;
        this.options = options;
    }

    /** Opens the database, reads each replica's position, and starts replicating, without compaction. */
    public static DatabaseReplicator start(Path dbPath, DatabaseOptions options, List<Destination> destinations, Clock clock)
            throws IOException {
        return start(dbPath, options, destinations, null, clock);
    }

    /**
     * Opens the database, reads each replica's position, and starts replicating; with
     * {@code compaction} set, each replica is also compacted, snapshotted and pruned on schedule.
     */
    public static DatabaseReplicator start(Path dbPath, DatabaseOptions options, List<Destination> destinations,
            CompactionSettings compaction, Clock clock) throws IOException {
        return start(dbPath, options, destinations, compaction, clock, ReplicationEvents.NONE);
    }

    /** {@link #start(Path, DatabaseOptions, List, CompactionSettings, Clock)}, reporting syncs, checkpoints and replica requests to {@code events}. */
    public static DatabaseReplicator start(Path dbPath, DatabaseOptions options, List<Destination> destinations,
            CompactionSettings compaction, Clock clock, ReplicationEvents events) throws IOException {
        if (destinations.isEmpty()) {
            throw new IllegalArgumentException("database " + dbPath + ": want at least one replica");
        }
        List<Destination> given = destinations;
        // Every list after the first comes from memory: an idle database costs no request.
        // Requests are counted beneath the cache: what reaches the store.
        destinations = destinations.stream()
                .map(d -> new Destination(d.client() instanceof CachingReplicaClient ? d.client()
                        : new CachingReplicaClient(events == ReplicationEvents.NONE ? d.client() : new InstrumentedReplicaClient(d.client(), events)),
                        d.syncInterval(), d.compaction()))
                .toList();
        List<Database.ReplicaState> states = new ArrayList<>();
        List<List<LtxFileInfo>> listings = new ArrayList<>();
        for (Destination d : destinations) {
            try {
                listings.add(RestorePlanner.listAll(d.client()));
                states.add(ReplicaUploader.readState(d.client(), listings.getLast()));
            } catch (IOException e) {
                throw new IOException("replica %s: cannot read it: %s".formatted(d.client().location(), IoErrors.describe(e)), e);
            }
        }
        Database.ReplicaState newest = states.stream()
                .max((a, b) -> Long.compareUnsigned(a.maxTxid(), b.maxTxid())).orElse(Database.ReplicaState.EMPTY);
        Database db = Database.open(dbPath, options, clock, newest);
        db.events(events);
        List<ReplicaUploader> uploaders = new ArrayList<>();
        for (int i = 0; i < destinations.size(); i++) {
            Destination d = destinations.get(i);
            uploaders.add(new ReplicaUploader(d.client(), db.store(), d.syncInterval(), clock, states.get(i).maxTxid()));
            if (given.get(i).client() instanceof HealthReporting h) {
                h.reportTo(uploaders.getLast().health()); // a lease's problems count in the replica's health
            }
        }
        DatabaseReplicator r = new DatabaseReplicator(db, uploaders, options, events);
        r.destinations = destinations;
        r.watcher = WalWatcher.shared();
        r.listen();
        try {
            for (int i = 0; i < uploaders.size(); i++) {
                // A replica that cannot continue (wiped, newly added, behind the local files) is
                // seeded with a snapshot by the first sync, not refused.
                ReplicaUploader u = uploaders.get(i);
                u.onSeedRequest(r::signalChange);
                u.check(listings.get(i), states.get(i).maxTxid());
                u.gapBefore(db.txid() + 1).ifPresent(u::requestSeed);
            }
            r.syncOnce();
            for (ReplicaUploader u : uploaders) {
                // The first upload runs here, so an unreachable or unwritable replica fails the start.
                u.uploadNow();
            }
        } catch (IOException | RuntimeException e) {
            r.close();
            throw e;
        }
        uploaders.forEach(ReplicaUploader::start);
        ReplicaCompactor.clearTempDir(db.metaDir().resolve("tmp")); // left by a process killed mid-merge
        if (compaction != null) {
            for (int i = 0; i < destinations.size(); i++) {
                Destination d = destinations.get(i);
                ReplicaUploader u = uploaders.get(i);
                ReplicaMaintainer m = new ReplicaMaintainer(new ReplicaCompactor(d.client(), db.metaDir().resolve("tmp")),
                        d.compaction() != null ? d.compaction() : compaction, clock, u.health(), events, u);
                m.start();
                r.maintainers.add(m);
            }
        }
        r.loop = Thread.ofVirtual().name("sync " + db.path()).start(r::run);
        LOG.log(System.Logger.Level.INFO, "{0}: replicating to {1}", db.path(),
                String.join(", ", destinations.stream().map(d -> d.client().location()).toList()));
        return r;
    }

    public Database database() {
        return db;
    }

    /** The last sync or checkpoint error, or null. */
    public String lastError() {
        return lastError;
    }

    /** The replicas, in the order of the destinations given to {@link #start}. */
    public List<ReplicaClient> replicaClients() {
        return uploaders.stream().map(ReplicaUploader::client).toList();
    }

    /** The destinations as replicated (clients wrapped with the cache), in the order given to {@link #start}. */
    public List<Destination> destinations() {
        return destinations;
    }

    /**
     * A replica as seen from here, for metrics and health checks.
     *
     * @param type the backend type ({@code file}, {@code s3}...)
     * @param location where it is, without credentials
     * @param txid the highest TXID it holds
     * @param lagMillis how long the oldest change it does not hold yet has waited; 0 when it holds everything
     * @param lastUploadMillis when an upload to it last succeeded (epoch millis), 0 if none since start
     * @param lastError the last upload error, or null if the last upload succeeded
     */
    public record ReplicaStatus(String type, String location, long txid, long lagMillis, long lastUploadMillis, String lastError) {}

    public List<ReplicaStatus> replicaStatuses() {
        return uploaders.stream().map(ReplicaUploader::status).toList();
    }

    /** Each replica's highest TXID as its uploader knows it. */
    public List<Long> replicaPositions() {
        return uploaders.stream().map(ReplicaUploader::position).toList();
    }

    private void run() {
        Duration backoff = Duration.ofMillis(100);
        long lastSyncNanos = System.nanoTime();
        long lastWriteNanos = System.nanoTime() - BUSY_GAP.toNanos() - 1;
        while (running) {
            try {
                awaitChange();
                if (!running) {
                    break;
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
                    if (!busy && lastSyncNanos - lastWriteNanos <= BUSY_GAP.toNanos()) {
                        becomeBusy();
                    }
                    lastWriteNanos = lastSyncNanos;
                } else if (busy && lastSyncNanos - lastWriteNanos >= BUSY_GAP.toNanos()) {
                    listen();
                    sync(); // a commit after the sync above and before the subscription has no notification
                }
                pruneInBackground();
                backoff = Duration.ofMillis(100);
            } catch (InterruptedException e) {
                break;
            } catch (IOException | RuntimeException e) {
                lastError = ReplicaHealth.describe(e);
                LOG.log(System.Logger.Level.ERROR, "{0}: sync failed: {1}", db.path(), lastError);
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    break;
                }
                backoff = backoff.multipliedBy(2).compareTo(options.monitorInterval()) > 0 ? options.monitorInterval() : backoff.multipliedBy(2);
            }
        }
    }

    /** Called by the watcher (on its thread) when our WAL was created or modified; and to wake the loop for a stop. */
    private void signalChange() {
        synchronized (changeSignal) {
            changeSignalled = true;
            changeSignal.notifyAll();
        }
    }

    /**
     * A writer at full speed modifies the WAL thousands of times a second, and each modification
     * is an inotify event that wakes two threads: on two cores that is CPU taken from the writer
     * (the writer was preempted ten to twenty times as often with them). While it is busy the loop
     * syncs every SYNC_SPACING anyway, so the events are of no use: stop them.
     */
    private void becomeBusy() {
        synchronized (changeSignal) {
            busy = true;
            if (subscription != null) {
                subscription.close();
                subscription = null;
            }
        }
    }

    /** Subscribes to our WAL's notifications, if the platform has them and we are not stopping. */
    private void listen() {
        synchronized (changeSignal) {
            busy = false;
            if (watcher == null || subscription != null || !running) {
                return;
            }
            try {
                subscription = watcher.watch(db.walPath(), this::signalChange);
            } catch (IOException e) {
                watcher = null; // polling from now on: no warning at every end of a burst
                LOG.log(System.Logger.Level.WARNING, "{0}: no file-system notifications ({1}); polling every {2}", db.path(), e.getMessage(),
                        options.monitorInterval());
            }
        }
    }

    /** Whether file-system notifications are on for our WAL (off while a writer is busy). */
    boolean listening() {
        return subscription != null;
    }

    /** Returns when the WAL may have changed: a notification, or a size or time change seen by polling. */
    private void awaitChange() throws InterruptedException, IOException {
        // While the pin is held (the last sync found commits) the next look comes within
        // SYNC_SPACING even with no notification: an application checkpoint waiting for our pin
        // holds the write lock, so nothing changes until the sync that finds nothing lets go.
        if (busy || db.waitsForQuiet()) {
            // No stat: a commit that overwrites a restarted WAL within the same clock tick
            // changes neither its size nor its time. The sync that follows looks at the frames.
            synchronized (changeSignal) {
                if (!changeSignalled) {
                    changeSignal.wait(SYNC_SPACING.toMillis()); // a stop signals
                }
                changeSignalled = false;
            }
            return;
        }
        long deadline = System.nanoTime() + lookInterval().toNanos();
        while (running) {
            if (walChanged()) {
                return;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                // Interval elapsed with no change: still give checkpoints their time-based turn.
                if (db.checkpointIfNeeded()) {
                    wakeUploaders();
                }
                deadline = System.nanoTime() + lookInterval().toNanos();
                continue;
            }
            synchronized (changeSignal) {
                if (!changeSignalled) {
                    // Without notifications, look at least once a second.
                    long waitMillis = TimeUnit.NANOSECONDS.toMillis(left) + 1;
                    changeSignal.wait(subscription == null ? Math.min(waitMillis, 1000) : waitMillis);
                }
                if (changeSignalled) {
                    changeSignalled = false;
                    return;
                }
            }
        }
    }

    /**
     * How long to wait before looking at the WAL unprompted. Polling, every monitor-interval.
     * With notifications, only when a time-based checkpoint falls due, and otherwise every
     * NOTIFIED_LOOKS monitor-intervals as a safety net: a process with hundreds of idle
     * databases then wakes a few times a second in all, not hundreds.
     */
    private Duration lookInterval() {
        Duration poll = options.monitorInterval();
        if (subscription == null) {
            return poll;
        }
        Duration safetyNet = poll.multipliedBy(NOTIFIED_LOOKS);
        long untilCheckpoint = db.millisUntilTimedCheckpoint();
        if (untilCheckpoint >= safetyNet.toMillis()) {
            return safetyNet;
        }
        return untilCheckpoint <= poll.toMillis() ? poll : Duration.ofMillis(untilCheckpoint);
    }

    private boolean walChanged() throws IOException {
        long size;
        long modified;
        try {
            size = Files.size(db.walPath());
            modified = Files.getLastModifiedTime(db.walPath()).toMillis();
        } catch (NoSuchFileException e) {
            size = -2;
            modified = -2;
        }
        boolean changed = size != seenWalSize || modified != seenWalModified;
        seenWalSize = size;
        seenWalModified = modified;
        return changed;
    }

    /** One round: sync, checkpoint if due, hand new files to the uploaders, prune local files. */
    public void syncOnce() throws IOException {
        sync();
        pruneLocal();
    }

    /** {@link #syncOnce} without pruning; returns whether the WAL held new commits. */
    private synchronized boolean sync() throws IOException {
        long start = System.nanoTime();
        Database.SyncResult r;
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

    private void wakeUploaders() {
        uploaders.forEach(ReplicaUploader::wake);
    }

    /**
     * {@link #pruneLocal} on a virtual thread of its own, one at a time. Deleting files can wait on
     * the file system's journal while others fsync (up to 450 ms measured in one call), and the
     * next sync, which decides the data-loss window, must not wait with it.
     */
    private void pruneInBackground() {
        if (pruner != null && pruner.isAlive()) {
            return;
        }
        pruner = Thread.ofVirtual().name("prune " + db.path()).start(() -> {
            try {
                pruneLocal();
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "{0}: deleting uploaded local files failed: {1}", db.path(), e.getMessage());
            }
        });
    }

    /** Waits for a background prune started by the (stopped) loop. */
    private void awaitPruner() throws InterruptedException {
        Thread p = pruner;
        if (p != null) {
            p.join(30_000);
        }
    }

    /** Deletes local files every replica holds, keeping the newest (the resume point). */
    private void pruneLocal() throws IOException {
        long everywhere = uploaders.stream().mapToLong(ReplicaUploader::position).reduce((a, b) -> Long.compareUnsigned(a, b) < 0 ? a : b).orElse(0);
        List<TxidRange> local = db.store().list();
        for (int i = 0; i < local.size() - 1; i++) {
            if (Long.compareUnsigned(local.get(i).max(), everywhere) <= 0) {
                db.store().delete(local.get(i));
            }
        }
    }

    /**
     * Stops: a final sync, then waits up to {@code timeout} for every replica to hold the last
     * TXID. Returns true if they all do.
     */
    public boolean stop(Duration timeout) throws InterruptedException {
        running = false;
        maintainers.forEach(ReplicaMaintainer::close);
        closeWatcher(); // wakes the loop out of its wait; an interrupt could cut a file write short
        if (loop != null) {
            loop.join(options.monitorInterval().toMillis() + 30_000);
        }
        awaitPruner();
        try {
            syncOnce();
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "{0}: final sync failed: {1}", db.path(), e.getMessage());
        }
        long txid = db.txid();
        boolean caughtUp = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ReplicaUploader u : uploaders) {
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            if (!u.stop(txid, left)) {
                caughtUp = false;
                LOG.log(System.Logger.Level.WARNING, "{0}: replica {1} stopped at TXID {2}, behind local TXID {3}",
                        db.path(), u.client().location(), io.litestream4j.ltx.Txid.format(u.position()), io.litestream4j.ltx.Txid.format(txid));
            }
        }
        try {
            pruneLocal();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "{0}: deleting uploaded local files after stop failed: {1}", db.path(), IoErrors.describe(e));
        }
        return caughtUp;
    }

    /** Ends our notifications and wakes the loop out of its wait (an interrupt could cut a file write short). */
    private void closeWatcher() {
        synchronized (changeSignal) {
            if (subscription != null) {
                subscription.close();
                subscription = null;
            }
        }
        signalChange();
    }

    /**
     * Stops at once, without a final sync or waiting for uploads: the loop finishes the sync it
     * is in (so no local file is left half-made by us), uploads in flight are interrupted (replica
     * writes are atomic), and the database is released. After {@link #stop}, this only releases.
     */
    @Override
    public void close() {
        running = false;
        maintainers.forEach(ReplicaMaintainer::close);
        closeWatcher();
        try {
            if (loop != null) {
                loop.join(options.monitorInterval().toMillis() + 30_000);
            }
            awaitPruner();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        uploaders.forEach(ReplicaUploader::abort);
        db.close();
        for (ReplicaUploader u : uploaders) {
            try {
                u.client().close();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "{0}: closing replica {1} failed: {2}", db.path(), u.client().location(), ReplicaHealth.describe(e));
            }
        }
    }
}
