package io.litestream4j.core;

import io.litestream4j.core.replica.ReplicaHealth;
import io.litestream4j.ReplicationEvents;
import io.litestream4j.DatabaseOptions;
import io.litestream4j.ReplicaStatus;
import io.litestream4j.CompactionSettings;
import io.litestream4j.core.compaction.ReplicaMaintainer;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Replicates one database to its replicas: its {@link SyncLoop} turns commits into local files
 * within milliseconds of the file system reporting a WAL change (an idle database costs one stat
 * per monitor interval and writes nothing), one {@link ReplicaUploader} per replica sends them,
 * a {@link ReplicaMaintainer} per replica compacts, snapshots and prunes it, and the
 * {@link LocalPruner} removes the local files every replica holds. Put together by
 * {@link ReplicationStart}. The replica clients stay the caller's: nothing here closes them.
 *
 * <p>The application-facing form of this is {@code io.litestream4j.Replicator}.
 */
public final class DatabaseReplicator implements AutoCloseable {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(DatabaseReplicator.class);

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
    private final SyncLoop loop;
    private final LocalPruner pruner;
    private final List<ReplicaUploader> uploaders;
    private final List<ReplicaMaintainer> maintainers = new CopyOnWriteArrayList<>();
    private final List<Destination> destinations;

    DatabaseReplicator(Database db, SyncLoop loop, LocalPruner pruner, List<ReplicaUploader> uploaders, List<Destination> destinations) {
        this.db = db;
        this.loop = loop;
        this.pruner = pruner;
        this.uploaders = uploaders;
        this.destinations = destinations;
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
        return ReplicationStart.start(dbPath, options, destinations, compaction, clock, events);
    }

    /** A maintainer started for one replica, closed with this replicator. */
    void maintain(ReplicaMaintainer m) {
        maintainers.add(m);
    }

    /** The database, for its path, local state and TXID; its syncs are the sync loop's alone. */
    public Database database() {
        return db;
    }

    /** The last sync or checkpoint error, or null. */
    public String lastError() {
        return loop.lastError();
    }

    /** The replicas, in the order of the destinations given to {@link #start}. */
    public List<ReplicaClient> replicaClients() {
        return uploaders.stream().map(ReplicaUploader::client).toList();
    }

    /** The destinations as replicated (clients wrapped with the cache), in the order given to {@link #start}. */
    public List<Destination> destinations() {
        return destinations;
    }

    public List<ReplicaStatus> replicaStatuses() {
        return uploaders.stream().map(ReplicaUploader::status).toList();
    }

    /**
     * Each replica's health, in the order of the destinations: where a check run from outside
     * (the CLI's level validation) reports what it finds, under its own key.
     */
    public List<ReplicaHealth> replicaHealths() {
        return uploaders.stream().map(ReplicaUploader::health).toList();
    }

    /** Each replica's highest TXID as its uploader knows it. */
    public List<Long> replicaPositions() {
        return uploaders.stream().map(ReplicaUploader::position).toList();
    }

    /** Whether file-system notifications are on for our WAL (off while a writer is busy). */
    boolean listening() {
        return loop.listening();
    }

    /**
     * Copies what is committed into a local file now and waits until every replica holds it;
     * the replicas upload it at once, whatever their sync interval.
     *
     * @return the TXID every replica holds: everything committed before the call
     * @throws ReplicaFailedException an upload to a replica failed while waiting, or its replication stopped
     * @throws ReplicationTimeoutException not every replica held it within {@code timeout}
     * @throws IOException the sync itself failed
     */
    public long awaitReplicated(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long[] failuresBefore = uploaders.stream().mapToLong(ReplicaUploader::failures).toArray();
        long txid = loop.syncNow();
        uploaders.forEach(ReplicaUploader::hurry);
        for (int i = 0; i < uploaders.size(); i++) {
            ReplicaUploader u = uploaders.get(i);
            switch (u.awaitPosition(txid, failuresBefore[i], deadline)) {
                case REACHED -> { }
                case FAILED -> throw new ReplicaFailedException(u.client().location(), "replica %s: failed while waiting for TXID %s: %s"
                        .formatted(u.client().location(), Txid.format(txid), u.health().summary()));
                case HALTED -> throw new ReplicaFailedException(u.client().location(), "replica %s: replication stopped before it held TXID %s"
                        .formatted(u.client().location(), Txid.format(txid)));
                case TIMED_OUT -> throw new ReplicationTimeoutException(db.path().toString(), txid, timeout,
                        replicaStatuses().stream().filter(s -> Long.compareUnsigned(s.txid(), txid) < 0).toList());
            }
        }
        return txid;
    }

    /**
     * Copies what is committed into a local file now and hands it to the uploaders, without
     * waiting for them. Returns the local TXID: everything committed before the call.
     */
    public long syncNow() throws IOException {
        return loop.syncNow();
    }

    /** One round: sync, checkpoint if due, hand new files to the uploaders, prune local files. */
    public void syncOnce() throws IOException {
        loop.syncNow();
        pruner.prune();
    }

    /**
     * Stops: a final sync, then waits up to {@code timeout} for every replica to hold the last
     * TXID. Returns true if they all do. A failed final sync is {@link #lastError}.
     */
    public boolean stop(Duration timeout) throws InterruptedException {
        maintainers.forEach(ReplicaMaintainer::close);
        loop.stop();
        try {
            loop.finalSync();
            pruner.prune();
        } catch (IOException | RuntimeException e) {
            loop.failed("final sync failed", e);
            LOG.log(System.Logger.Level.ERROR, "{0}: final sync failed: {1}", db.path(), ReplicaHealth.describe(e));
        }
        long txid = db.txid();
        boolean caughtUp = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ReplicaUploader u : uploaders) {
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            if (!u.stop(txid, left)) {
                caughtUp = false;
                LOG.log(System.Logger.Level.WARNING, "{0}: replica {1} stopped at TXID {2}, behind local TXID {3}",
                        db.path(), u.client().location(), Txid.format(u.position()), Txid.format(txid));
            }
        }
        try {
            pruner.prune();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "{0}: deleting uploaded local files after stop failed: {1}", db.path(), IoErrors.describe(e));
        }
        return caughtUp;
    }

    /**
     * Stops at once, without a final sync or waiting for uploads: the loop finishes the sync it
     * is in (so no local file is left half-made by us), uploads in flight are interrupted (replica
     * writes are atomic), and the database and the process's watcher are released. After
     * {@link #stop}, this only releases. The replica clients are not closed: they belong to
     * whoever opened them.
     */
    @Override
    public void close() {
        maintainers.forEach(ReplicaMaintainer::close);
        try {
            loop.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        uploaders.forEach(ReplicaUploader::abort);
        loop.close();
    }
}
