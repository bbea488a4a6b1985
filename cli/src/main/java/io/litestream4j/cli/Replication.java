package io.litestream4j.cli;

import io.litestream4j.core.DatabaseOptions;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.ReplicaHealth;
import io.litestream4j.core.ReplicationEvents;
import io.litestream4j.core.compaction.CompactionSettings;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The databases one {@code replicate} process replicates: started together (a failure to start
 * any of them stops the others and fails the command), stopped together, in parallel, each with
 * a final sync. In directory mode with {@code watch}, databases come and go while it runs. It
 * owns the targets' replica clients: they are closed with their database, or on a failed start.
 */
final class Replication implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("litestream");

    /** One database and where it goes. */
    record Target(Path db, DatabaseOptions options, List<DatabaseReplicator.Destination> destinations) {}

    private final List<DatabaseReplicator> running = new CopyOnWriteArrayList<>();
    private final CompactionSettings compaction;
    private final Clock clock;
    private final ReplicationEvents events;

    private Replication(CompactionSettings compaction, Clock clock, ReplicationEvents events) {
        this.compaction = compaction;
        this.clock = clock;
        this.events = events;
    }

    /** Starts every target; on a failure, what started is closed and the error names the database. */
    static Replication start(List<Target> targets, CompactionSettings compaction, Clock clock, ReplicationEvents events) throws IOException {
        Replication r = new Replication(compaction, clock, events);
        try {
            for (int i = 0; i < targets.size(); i++) {
                try {
                    r.add(targets.get(i));
                } catch (IOException | RuntimeException e) {
                    for (Target rest : targets.subList(i + 1, targets.size())) {
                        closeQuietly(rest.destinations());
                    }
                    throw e;
                }
            }
        } catch (IOException | RuntimeException e) {
            r.close();
            throw e;
        }
        return r;
    }

    /** Starts one more database; on failure its replica clients are closed. */
    void add(Target t) throws IOException {
        DatabaseReplicator replicator;
        try {
            replicator = DatabaseReplicator.start(t.db(), t.options(), t.destinations(), compaction, clock, events);
        } catch (NoSuchFileException e) {
            closeQuietly(t.destinations());
            throw new IOException("database %s does not exist".formatted(t.db().toAbsolutePath())); // the whole story: no cause to repeat it
        } catch (IOException | RuntimeException e) {
            closeQuietly(t.destinations());
            throw e;
        }
        running.add(replicator);
    }

    /** True if {@code db} is being replicated. */
    boolean has(Path db) {
        return running.stream().anyMatch(r -> r.database().path().equals(db));
    }

    /** Stops replicating {@code db} (its file is gone: no final sync is possible). */
    void remove(Path db) {
        for (DatabaseReplicator r : running) {
            if (r.database().path().equals(db)) {
                running.remove(r);
                close(r);
                LOG.log(System.Logger.Level.INFO, "{0}: removed, replication stopped", db);
            }
        }
    }

    List<DatabaseReplicator> replicators() {
        return List.copyOf(running);
    }

    /**
     * Stops every database at once: a final sync each, waiting up to {@code timeout} for its
     * replicas. True if every replica of every database holds its last TXID.
     */
    boolean stop(Duration timeout) throws InterruptedException {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Boolean>> results = new ArrayList<>();
            List<DatabaseReplicator> stopping = List.copyOf(running);
            for (DatabaseReplicator r : stopping) {
                results.add(pool.submit((Callable<Boolean>) () -> r.stop(timeout)));
            }
            boolean all = true;
            for (int i = 0; i < results.size(); i++) {
                try {
                    all &= results.get(i).get();
                } catch (java.util.concurrent.ExecutionException e) {
                    all = false;
                    LOG.log(System.Logger.Level.ERROR, "{0}: stop failed: {1}", stopping.get(i).database().path(), ReplicaHealth.describe(e.getCause()));
                }
            }
            return all;
        }
    }

    @Override
    public void close() {
        for (DatabaseReplicator r : running) {
            close(r);
        }
        running.clear();
    }

    /** Releases a database and then its replica clients, which this process opened (the replicator never closes them). */
    private static void close(DatabaseReplicator r) {
        r.close();
        closeQuietly(r.destinations());
    }

    static void closeQuietly(List<DatabaseReplicator.Destination> destinations) {
        for (DatabaseReplicator.Destination d : destinations) {
            try {
                d.client().close();
            } catch (IOException | RuntimeException e) {
                // on the way out (a failed start, a stop): the error that led here is the one reported
                LOG.log(System.Logger.Level.WARNING, "closing replica {0} failed: {1}", d.client().location(), ReplicaHealth.describe(e));
            }
        }
    }
}
