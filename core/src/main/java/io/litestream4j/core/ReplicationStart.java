package io.litestream4j.core;

import io.litestream4j.ReplicationEvents;
import io.litestream4j.DatabaseOptions;
import io.litestream4j.CompactionSettings;
import io.litestream4j.core.compaction.ReplicaCompactor;
import io.litestream4j.core.compaction.ReplicaMaintainer;
import io.litestream4j.core.replica.CachingReplicaClient;
import io.litestream4j.core.replica.HealthReporting;
import io.litestream4j.core.replica.InstrumentedReplicaClient;
import io.litestream4j.core.replica.WriteOnly;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.ltx.LtxFileInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Puts one database's replication together, in the order that makes a failure cheap and clear:
 * read what each replica holds (nothing opened yet if one cannot be read), open the database
 * where the newest replica left off, check each replica's chain, sync and upload once on the
 * caller's thread (an unreachable or unwritable replica fails the start), and only then start
 * the background threads. A failure at any step releases everything taken before it; the
 * replica clients stay the caller's.
 */
final class ReplicationStart {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(ReplicationStart.class);

    private ReplicationStart() {}

    static DatabaseReplicator start(Path dbPath, DatabaseOptions options, List<DatabaseReplicator.Destination> given,
            CompactionSettings compaction, Clock clock, ReplicationEvents events) throws IOException {
        if (given.isEmpty()) {
            throw new IllegalArgumentException("database " + dbPath + ": want at least one replica");
        }
        // Every list after the first comes from memory: an idle database costs no request.
        // Requests are counted beneath the cache: what reaches the store.
        List<DatabaseReplicator.Destination> destinations = given.stream()
                .map(d -> new DatabaseReplicator.Destination(d.client() instanceof CachingReplicaClient ? d.client()
                        : new CachingReplicaClient(events == ReplicationEvents.NONE ? d.client() : new InstrumentedReplicaClient(d.client(), events)),
                        d.syncInterval(), d.compaction()))
                .toList();
        for (DatabaseReplicator.Destination d : destinations) {
            WriteOnly.of(d.client()).ifPresent(why -> warnWriteOnly(dbPath, d.client().location(), why));
        }
        List<Database.ReplicaState> states = new ArrayList<>();
        List<List<LtxFileInfo>> listings = new ArrayList<>();
        for (DatabaseReplicator.Destination d : destinations) {
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
            DatabaseReplicator.Destination d = destinations.get(i);
            uploaders.add(new ReplicaUploader(d.client(), db.store(), d.syncInterval(), clock, states.get(i).maxTxid()));
            var reporting = given.get(i).client().capability(HealthReporting.class);
            if (reporting.isPresent()) {
                reporting.get().reportTo(uploaders.getLast().health()); // a lease's problems count in the replica's health
            }
        }
        WalChangeWaiter waiter = new WalChangeWaiter(db.path(), db.walPath(), options.monitorInterval());
        LocalPruner pruner = new LocalPruner(db.path(), db.store(), uploaders);
        SyncLoop loop = new SyncLoop(db, uploaders, waiter, pruner, options.monitorInterval(), events);
        DatabaseReplicator r = new DatabaseReplicator(db, loop, pruner, uploaders, destinations);
        try {
            for (int i = 0; i < uploaders.size(); i++) {
                // A replica that cannot continue (wiped, newly added, behind the local files) is
                // seeded with a snapshot by the first sync, not refused.
                ReplicaUploader u = uploaders.get(i);
                u.onSeedRequest(waiter::signal);
                u.check(listings.get(i), states.get(i).maxTxid());
                u.gapBefore(db.txid() + 1).ifPresent(u::requestSeed);
            }
            r.syncOnce();
            for (ReplicaUploader u : uploaders) {
                // The first upload runs here, so an unreachable or unwritable replica fails the start.
                u.uploadNow();
            }
            uploaders.forEach(ReplicaUploader::start);
            ReplicaCompactor.clearTempDir(db.metaDir().resolve("tmp")); // left by a process killed mid-merge
            if (compaction != null) {
                for (int i = 0; i < destinations.size(); i++) {
                    DatabaseReplicator.Destination d = destinations.get(i);
                    ReplicaUploader u = uploaders.get(i);
                    boolean writeOnly = WriteOnly.of(d.client()).isPresent();
                    ReplicaMaintainer m = new ReplicaMaintainer(new ReplicaCompactor(d.client(), db.metaDir().resolve("tmp")),
                            d.compaction() != null ? d.compaction() : compaction, clock, u.health(), events, u,
                            writeOnly ? u::requestSnapshot : null);
                    r.maintain(m);
                    m.start();
                }
            }
            if (HeldConnections.crowded()) {
                // Many databases hold connections: let go of this one's now rather than at its
                // loop's first quiet look, which falls behind the starts when thousands start at
                // once (HeldConnections). A database being written opens them again at its next sync.
                loop.releaseIfQuiet();
            }
            loop.start();
        } catch (IOException | RuntimeException e) {
            r.close();
            throw e;
        }
        LOG.log(System.Logger.Level.INFO, "{0}: replicating to {1}", db.path(),
                String.join(", ", destinations.stream().map(d -> d.client().location()).toList()));
        return r;
    }

    /**
     * Litestream #790 was encryption nobody could undo, found out at restore time: a replica we
     * can write but not read is said so at every start, with what it costs.
     */
    private static void warnWriteOnly(Path dbPath, String location, String why) {
        LOG.log(System.Logger.Level.WARNING, ("{0}: replica {1} is write-only: {2}. Replicating to it works, but restore, verify and "
                + "compaction of it fail until the identities are added (restore with a config that has them); its snapshots are taken "
                + "from the local database every snapshot interval instead of merged from its files, its level-0 files stay until "
                + "retention removes them behind a snapshot, and after a restart without local state a full snapshot is uploaded "
                + "(the replica is not read back)"), dbPath, location, why);
    }
}
