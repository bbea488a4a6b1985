package io.litestream4j.cli;

import io.litestream4j.DatabaseOptions;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.compaction.MaintenanceHold;
import io.litestream4j.core.replica.ReplicaHealth;
import io.litestream4j.ReplicationEvents;
import io.litestream4j.CompactionSettings;
import io.litestream4j.core.replica.LeasedReplicaClient;
import io.litestream4j.core.replica.ReplicaLease;
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
import java.util.function.Predicate;

/**
 * The databases one {@code replicate} process replicates: started together (a failure to start
 * any of them stops the others and fails the command, but for databases of a watched directory,
 * which its watch retries), stopped together, in parallel, each with
 * a final sync. In directory mode with {@code watch}, databases come and go while it runs. It
 * owns the targets' replica clients: they are closed with their database, or on a failed start.
 */
final class Replication implements AutoCloseable {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get("litestream");

    /** One database and where it goes. */
    record Target(Path db, DatabaseOptions options, List<DatabaseReplicator.Destination> destinations) {}

    private final List<DatabaseReplicator> running = new CopyOnWriteArrayList<>();

    /** Counts changes to {@link #running} and {@link #stopped}: a directory watch that sees the same count needs no new comparison. */
    private final java.util.concurrent.atomic.AtomicLong membership = new java.util.concurrent.atomic.AtomicLong();

    /** Databases unregistered through the control socket (absolute paths), which a directory watch leaves alone. */
    private final java.util.Set<Path> unregistered = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Databases whose failure to start was left to a directory watch to retry (absolute paths). */
    private final java.util.Set<Path> notStarted = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Databases stopped through the control socket, by absolute path: the TXID each held when it stopped. */
    private final java.util.Map<Path, Long> stopped = new java.util.concurrent.ConcurrentHashMap<>();
    private final CompactionSettings compaction;
    private final Clock clock;
    private final ReplicationEvents events;

    /** How long a replica's lease lasts unrenewed; null: no lease is taken. */
    private final Duration leaseTtl;

    private Replication(CompactionSettings compaction, Clock clock, ReplicationEvents events, Duration leaseTtl) {
        this.compaction = compaction;
        this.clock = clock;
        this.events = events;
        this.leaseTtl = leaseTtl;
    }

    /** {@link #start(List, CompactionSettings, Clock, ReplicationEvents, Duration)} with Litestream's lease TTL. */
    static Replication start(List<Target> targets, CompactionSettings compaction, Clock clock, ReplicationEvents events) throws IOException {
        return start(targets, compaction, clock, events, ReplicaLease.DEFAULT_TTL);
    }

    /**
     * Databases started at once by {@link #start}: a start is mostly waiting for fsyncs (the first
     * L0 file, the first upload, the lease), so thousands of databases start in seconds instead
     * of one after another (2,000 took minutes). Platform threads: a start runs SQLite's native
     * code, which pins a virtual thread's carrier. 32: 10,000 databases on 2 cores were all
     * replicating after 24-30 s against 28-31 s with 16 and 29-35 s with 8, at the same peak RSS
     * as 16 (435 MB); 64 was no faster (docs/benchmarks.md, start9). More starts at once held more
     * SQLite memory only while released databases were opened again by their own start's events.
     */
    static final int STARTS_AT_ONCE = 32;

    /** {@link #start(List, Predicate, CompactionSettings, Clock, ReplicationEvents, Duration)} where every failure fails the start. */
    static Replication start(List<Target> targets, CompactionSettings compaction, Clock clock, ReplicationEvents events, Duration leaseTtl)
            throws IOException {
        return start(targets, db -> false, compaction, clock, events, leaseTtl);
    }

    /**
     * Starts every target, each replica under a lease of {@code leaseTtl} (null: none), up to
     * STARTS_AT_ONCE at a time; on a failure, what started is closed, the targets not started
     * have their clients closed, and the error (the first seen) names the database.
     *
     * <p>A database for which {@code retriedLater} holds (one in a watched directory) does not
     * fail the start: its failure is logged, it is listed in {@link #notStarted}, and the others
     * go on. In a directory of thousands of tenants, one database that cannot start (locked, its
     * replica refused, its lease held by another process) must not stop the backups of the rest;
     * the directory's watch tries it again at every look, as it does a new database.
     */
    static Replication start(List<Target> targets, Predicate<Path> retriedLater, CompactionSettings compaction, Clock clock,
            ReplicationEvents events, Duration leaseTtl) throws IOException {
        Replication r = new Replication(compaction, clock, events, leaseTtl);
        java.util.concurrent.atomic.AtomicReference<Exception> failure = new java.util.concurrent.atomic.AtomicReference<>();
        List<DatabaseReplicator> started = java.util.Collections.synchronizedList(new ArrayList<>());
        // Maintenance rounds that fall due while the batch starts run after it (MaintenanceHold).
        MaintenanceHold hold = MaintenanceHold.take();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(STARTS_AT_ONCE, targets.size())),
                Thread.ofPlatform().name("start ", 0).daemon().factory());
        try {
            for (Target t : targets) {
                pool.execute(() -> {
                    if (failure.get() != null) {
                        closeQuietly(t.destinations());
                        return;
                    }
                    try {
                        started.add(r.startReplicator(t));
                    } catch (IOException | RuntimeException e) {
                        if (retriedLater.test(t.db())) {
                            r.notStarted.add(absolute(t.db()));
                            LOG.log(System.Logger.Level.WARNING, "{0}: cannot replicate it yet: {1}; the directory watch tries again every second",
                                    t.db(), e.getMessage());
                        } else {
                            failure.compareAndSet(null, e);
                        }
                    }
                });
            }
        } finally {
            pool.shutdown();
            try {
                while (!pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES)) {
                    LOG.log(System.Logger.Level.INFO, "still starting databases: {0} of {1} started", started.size(), targets.size());
                }
            } catch (InterruptedException e) {
                pool.shutdownNow();
                Thread.currentThread().interrupt();
                failure.compareAndSet(null, new IOException("interrupted while starting databases"));
            }
            hold.close();
        }
        // One list write for all: adding thousands one by one to the copy-on-write list copies it each time.
        r.running.addAll(started);
        r.membership.incrementAndGet();
        Exception e = failure.get();
        if (e != null) {
            r.close();
            if (e instanceof IOException io) {
                throw io;
            }
            throw (RuntimeException) e;
        }
        return r;
    }

    /** Starts one more database; on failure its replica clients are closed. */
    void add(Target t) throws IOException {
        running.add(startReplicator(t));
        membership.incrementAndGet();
    }

    /** Starts {@code t}'s replication, not yet listed as running; on failure its replica clients are closed. */
    private DatabaseReplicator startReplicator(Target t) throws IOException {
        t = withLeases(t);
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
        return replicator;
    }

    /**
     * Takes the lease of each of {@code t}'s replicas that can keep one, so that no two
     * replicators write one replica. On a failure every client of {@code t} is closed (leases
     * taken are released) and the error names the database and the lease's holder.
     */
    private Target withLeases(Target t) throws IOException {
        if (leaseTtl == null) {
            return t;
        }
        List<DatabaseReplicator.Destination> leased = new ArrayList<>();
        String replica = null;
        try {
            for (DatabaseReplicator.Destination d : t.destinations()) {
                replica = d.client().location();
                leased.add(new DatabaseReplicator.Destination(LeasedReplicaClient.acquire(d.client(), leaseTtl, clock), d.syncInterval(), d.compaction()));
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(leased);
            closeQuietly(t.destinations().subList(leased.size(), t.destinations().size()));
            throw new IOException("database %s: replica %s: %s".formatted(t.db().toAbsolutePath(), replica, ReplicaHealth.describe(e)), e);
        }
        return new Target(t.db(), t.options(), leased);
    }

    /**
     * The lease TTL from {@code LITESTREAM_LEASE_TTL} (a Go duration): Litestream's 30 s when
     * unset; null (no lease) for {@code 0}.
     */
    static Duration leaseTtl(java.util.Map<String, String> env) {
        String text = env.get("LITESTREAM_LEASE_TTL");
        if (text == null || text.isBlank()) {
            return ReplicaLease.DEFAULT_TTL;
        }
        Duration ttl = io.litestream4j.core.GoDuration.parse(text);
        if (ttl == null || ttl.isNegative()) {
            throw new IllegalArgumentException("LITESTREAM_LEASE_TTL=%s: want a duration such as 30s, or 0 to take no replica lease".formatted(text));
        }
        return ttl.isZero() ? null : ttl;
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
                membership.incrementAndGet();
                close(r);
                LOG.log(System.Logger.Level.INFO, "{0}: removed, replication stopped", db);
            }
        }
    }

    List<DatabaseReplicator> replicators() {
        return List.copyOf(running);
    }

    /** A count that changes whenever a database starts, stops, is removed or forgotten. */
    long membership() {
        return membership.get();
    }

    /** The databases of a watched directory that failed to start ({@link #start}), left to the watch. */
    java.util.Set<Path> notStarted() {
        return java.util.Set.copyOf(notStarted);
    }

    /** The running replicator of {@code db} (compared as absolute, normalised paths), if any. */
    java.util.Optional<DatabaseReplicator> find(Path db) {
        Path want = absolute(db);
        return running.stream().filter(r -> absolute(r.database().path()).equals(want)).findFirst();
    }

    /**
     * Databases a directory watch must not start: stopped or unregistered through the control
     * socket (absolute paths). Left alone as they would be with no watch, until {@code start} or
     * {@code register}.
     */
    java.util.Set<Path> leftAlone() {
        java.util.Set<Path> all = new java.util.HashSet<>(stopped.keySet());
        all.addAll(unregistered);
        return all;
    }

    /** An unregistered database's file is gone: a new file at its path is a new database, which a watch starts. */
    void fileGone(Path db) {
        unregistered.remove(absolute(db));
    }

    /** Databases stopped by {@link #stopOne}, with the TXID each held then, by absolute path. */
    java.util.Map<Path, Long> stopped() {
        return java.util.Map.copyOf(stopped);
    }

    /**
     * Stops one database as a shutdown would (a final sync, waiting up to {@code timeout} for
     * its replicas) and closes its replicas; it stays known as stopped until started again or
     * forgotten. Returns its last TXID.
     *
     * @throws ReplicationTimeoutException a replica did not take the last changes in time (they stay local and go out at the next start)
     */
    long stopOne(DatabaseReplicator r, Duration timeout) throws IOException, InterruptedException {
        running.remove(r);
        membership.incrementAndGet();
        boolean caughtUp;
        try {
            caughtUp = r.stop(timeout);
        } finally {
            close(r);
        }
        long txid = r.database().txid();
        stopped.put(absolute(r.database().path()), txid);
        membership.incrementAndGet();
        LOG.log(System.Logger.Level.INFO, "{0}: replication stopped at TXID {1}", r.database().path(), io.litestream4j.ltx.Txid.format(txid));
        if (!caughtUp) {
            throw new io.litestream4j.core.ReplicationTimeoutException(r.database().path().toString(), txid, timeout, r.replicaStatuses().stream()
                    .filter(s -> Long.compareUnsigned(s.txid(), txid) < 0).toList());
        }
        return txid;
    }

    /** Starts a database that was stopped (or is new) from its freshly made target. */
    void startOne(Target t) throws IOException {
        add(t);
        stopped.remove(absolute(t.db()));
        unregistered.remove(absolute(t.db()));
        membership.incrementAndGet();
    }

    /**
     * Forgets a stopped database (unregistered): it is no longer listed, and a directory watch
     * leaves it alone ({@link #leftAlone}) until it is registered again or its file goes.
     */
    void forget(Path db) {
        stopped.remove(absolute(db));
        unregistered.add(absolute(db));
        membership.incrementAndGet();
    }

    static Path absolute(Path p) {
        return p.toAbsolutePath().normalize();
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
