package io.litestream4j;

import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.ReplicaFailedException;
import io.litestream4j.core.ReplicationTimeoutException;
import io.litestream4j.core.replica.LeasedReplicaClient;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClientFactory;
import io.litestream4j.core.replica.ReplicaClients;
import io.litestream4j.core.replica.ReplicaLease;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Replicates one SQLite database from inside the application, in the same way as
 * {@code litestream replicate}: every commit is copied from the WAL into a local LTX file within
 * milliseconds and uploaded to each replica, which is compacted, snapshotted and pruned on
 * Litestream's schedule.
 *
 * <pre>{@code
 * try (Replicator replicator = Replicator.builder(Path.of("app.db")).replica("s3://bucket/app").start()) {
 *     // ... the application writes through its own connections ...
 *     long txid = replicator.awaitReplicated(Duration.ofSeconds(10)); // durable on every replica
 * }
 * }</pre>
 *
 * <p>Guarantees: {@link #awaitReplicated} returns only once every replica holds everything
 * committed before the call. {@link #close} syncs a last time, waits (up to the shutdown
 * timeout) for the replicas, and releases the database, every thread and the replica clients
 * this replicator opened from URLs; clients handed to {@link Builder#replica(ReplicaClient)}
 * stay open: they are the caller's. A failed {@link Builder#start} releases everything it took.
 * What no replica has taken yet is never lost: it stays in the local files and is uploaded at
 * the next start.
 *
 * <p>Thread-safe.
 */
public final class Replicator implements AutoCloseable {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(Replicator.class);

    private final DatabaseReplicator engine;
    private final List<ReplicaClient> owned;
    private final Duration shutdownTimeout;
    private boolean closed;

    private Replicator(DatabaseReplicator engine, List<ReplicaClient> owned, Duration shutdownTimeout) {
        this.engine = engine;
        this.owned = owned;
        this.shutdownTimeout = shutdownTimeout;
    }

    /** Starts describing the replication of the database at {@code database} (it must exist and be in WAL mode, or be switchable to it). */
    public static Builder builder(Path database) {
        return new Builder(database);
    }

    /** The database's state and each replica's, as now. */
    public record Status(Path database, long txid, String lastError, List<ReplicaStatus> replicas) {
        /** {@code txid} as Litestream prints it (16 hex digits). */
        public String txidHex() {
            return Txid.format(txid);
        }
    }

    /**
     * Copies everything committed so far into a local file and waits until every replica holds it.
     *
     * @return the local TXID that held every commit made before the call; every replica now holds
     *     it and all before it (a replica may hold it inside a file merged with later TXIDs: then a
     *     restore reaches it or a later state, not exactly it)
     * @throws ReplicaFailedException an upload to a replica failed while waiting (the message names it and the cause; it is retried in the background)
     * @throws ReplicationTimeoutException not every replica held it within {@code timeout} (the message names each one behind)
     * @throws IOException reading the database failed
     * @throws IllegalStateException after {@link #close}
     */
    public long awaitReplicated(Duration timeout) throws IOException, InterruptedException {
        checkOpen();
        return engine.awaitReplicated(timeout);
    }

    /**
     * Copies everything committed so far into a local file now and hands it to the uploaders,
     * without waiting for them (each uploads at most once per sync interval).
     *
     * @return the local TXID, which holds everything committed before the call
     */
    public long sync() throws IOException {
        checkOpen();
        return engine.syncNow();
    }

    /** The local TXID, the last sync error (null if the last sync worked), and each replica's TXID, lag and problems. */
    public Status status() {
        return new Status(engine.database().path(), engine.database().txid(), engine.lastError(), engine.replicaStatuses());
    }

    /** The replicated database. */
    public Path database() {
        return engine.database().path();
    }

    private synchronized void checkOpen() {
        if (closed) {
            throw new IllegalStateException("replicator of %s is closed".formatted(engine.database().path()));
        }
    }

    /**
     * Syncs a last time, waits up to the shutdown timeout for every replica to take it, and
     * releases everything (threads, the database's locks, the clients this replicator opened).
     * Everything is released even when it throws; calling it again does nothing.
     *
     * @throws ReplicationTimeoutException a replica did not take the last changes in time (they stay local and go out at the next start)
     * @throws IOException the final sync failed
     */
    @Override
    public void close() throws IOException {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        IOException failure = null;
        try {
            boolean caughtUp = engine.stop(shutdownTimeout);
            long txid = engine.database().txid();
            if (engine.lastError() != null) {
                failure = new IOException("closing replication of %s: %s".formatted(engine.database().path(), engine.lastError()));
            } else if (!caughtUp) {
                List<ReplicaStatus> behind = engine.replicaStatuses().stream().filter(s -> Long.compareUnsigned(s.txid(), txid) < 0).toList();
                failure = new ReplicationTimeoutException("closing replication of %s (the rest stays local for the next start)".formatted(
                        engine.database().path()), txid, shutdownTimeout, behind);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = new InterruptedIOException("closing replication of %s: interrupted; stopped without waiting for the replicas".formatted(
                    engine.database().path()));
        } finally {
            engine.close();
            closeAll(owned, failure);
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Closes {@code clients}; their failures are added to {@code failure}, or logged if there is none. */
    private static void closeAll(List<ReplicaClient> clients, Throwable failure) {
        for (ReplicaClient c : clients) {
            try {
                c.close();
            } catch (IOException | RuntimeException e) {
                if (failure != null) {
                    failure.addSuppressed(e);
                } else {
                    LOG.log(System.Logger.Level.WARNING, "closing replica {0} failed: {1}", c.location(), e.toString());
                }
            }
        }
    }

    /** What to replicate where, and how often. Not thread-safe; {@link #start} may be called once per replication wanted. */
    public static final class Builder {
        /** A replica by URL (opened at start, owned) or by client (the caller's). */
        private record Replica(String url, ReplicaClient client) {}

        private final Path database;
        private final List<Replica> replicas = new ArrayList<>();
        private Duration syncInterval;
        private DatabaseOptions options = DatabaseOptions.defaults();
        private CompactionSettings compaction = CompactionSettings.defaults();
        private Duration shutdownTimeout = Duration.ofSeconds(30);
        private Clock clock = Clock.systemUTC();
        private ReplicationEvents events = ReplicationEvents.NONE;
        private Duration leaseTtl = ReplicaLease.DEFAULT_TTL;
        /** Where replica URLs' schemes are looked up; tests put their own in (default: the ServiceLoader's). */
        private java.util.function.Function<String, ReplicaClientFactory> factoryLookup;

        private Builder(Path database) {
            this.database = Objects.requireNonNull(database, "database");
        }

        /**
         * Adds a replica by URL ({@code file:///backups/app}, {@code s3://bucket/path}, ...) or
         * plain folder path. The client is opened by {@link #start} and closed by {@link Replicator#close};
         * the backend's module must be on the class path (found through {@link java.util.ServiceLoader}).
         */
        public Builder replica(String urlOrPath) {
            replicas.add(new Replica(Objects.requireNonNull(urlOrPath, "urlOrPath"), null));
            return this;
        }

        /** Adds a replica through a client the caller made; the caller closes it after the replicator. */
        public Builder replica(ReplicaClient client) {
            replicas.add(new Replica(null, Objects.requireNonNull(client, "client")));
            return this;
        }

        /**
         * The least time between two uploads to each replica (what arrives meanwhile goes out as
         * one file). Default: the backend's (1 s for every backend shipped); zero uploads every
         * sync at once.
         */
        public Builder syncInterval(Duration interval) {
            if (interval.isNegative()) {
                throw new IllegalArgumentException("sync interval %s: want zero or more".formatted(interval));
            }
            this.syncInterval = interval;
            return this;
        }

        /** Checkpoint thresholds, busy timeout, monitor interval and where local state lives (default: Litestream's). */
        public Builder options(DatabaseOptions options) {
            this.options = Objects.requireNonNull(options, "options");
            return this;
        }

        /**
         * Compaction levels, snapshot interval and retention on every replica (default:
         * Litestream's: 30 s, 5 min, 1 h; a daily snapshot kept 24 h). Null turns them off: the
         * replicas then keep every L0 file and restores get slower forever; for tests only.
         */
        public Builder compaction(CompactionSettings compaction) {
            this.compaction = compaction;
            return this;
        }

        /** How long {@link Replicator#close} waits for the replicas to take the last changes (default 30 s). */
        public Builder shutdownTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("shutdown timeout %s: want zero or more".formatted(timeout));
            }
            this.shutdownTimeout = timeout;
            return this;
        }

        /** The clock for file timestamps, schedules and retention (default: the system's, UTC). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Receives syncs, checkpoints and replica requests, for metrics (default: none). */
        public Builder events(ReplicationEvents events) {
            this.events = Objects.requireNonNull(events, "events");
            return this;
        }

        /**
         * How long the lease on each replica opened from a URL lasts unrenewed (default
         * Litestream's 30 s; zero takes none). The lease ({@code lock.json}, as Litestream's) keeps
         * a second replicator, here or on another machine, from writing the same replica at the
         * same time: {@link #start} fails naming the holder while it writes. The lease is kept only
         * while the replica is written ({@link io.litestream4j.core.replica.LeasedReplicaClient}):
         * an idle replica's lease lapses, another replicator may then take it, and this one stops at
         * its next write with the lease reported lost. A client handed to
         * {@link #replica(ReplicaClient)} stays the caller's and is used without a lease.
         */
        public Builder leaseTtl(Duration ttl) {
            if (ttl.isNegative()) {
                throw new IllegalArgumentException("lease TTL %s: want zero (no lease) or more".formatted(ttl));
            }
            this.leaseTtl = ttl;
            return this;
        }

        /** Tests: look replica URL schemes up here instead of through the ServiceLoader. */
        Builder factoryLookup(java.util.function.Function<String, ReplicaClientFactory> lookup) {
            this.factoryLookup = lookup;
            return this;
        }

        /**
         * Opens the replicas and the database, reads what each replica holds, syncs and uploads
         * once (so an unreachable or unwritable replica fails here, not later), and starts
         * replicating in the background.
         *
         * @throws NoSuchFileException the database does not exist
         * @throws IOException a replica URL is invalid or its backend is missing, a replica cannot be read or written, the database cannot be opened
         */
        public Replicator start() throws IOException {
            if (replicas.isEmpty()) {
                throw new IllegalStateException("replicate %s: no replica: add one with replica(url) or replica(client)".formatted(database));
            }
            List<ReplicaClient> owned = new ArrayList<>();
            try {
                List<DatabaseReplicator.Destination> destinations = new ArrayList<>();
                for (Replica r : replicas) {
                    ReplicaClient client;
                    ReplicaClientFactory factory;
                    if (r.url() != null) {
                        URI url = ReplicaClients.parse(r.url());
                        factory = factoryLookup != null ? factoryLookup.apply(url.getScheme()) : null;
                        if (factory == null) {
                            factory = ReplicaClients.factory(r.url());
                        }
                        client = factory.create(url);
                        owned.add(client);
                        if (!leaseTtl.isZero()) {
                            client = LeasedReplicaClient.acquire(client, leaseTtl, clock); // closing it releases the lease, then the client
                            owned.set(owned.size() - 1, client);
                        }
                    } else {
                        client = r.client();
                        factory = ReplicaClients.factories().get(client.type());
                    }
                    Duration interval = syncInterval != null ? syncInterval : factory != null ? factory.defaultSyncInterval() : Duration.ofSeconds(1);
                    destinations.add(new DatabaseReplicator.Destination(client, interval));
                }
                DatabaseReplicator engine;
                try {
                    engine = DatabaseReplicator.start(database, options, destinations, compaction, clock, events);
                } catch (NoSuchFileException e) {
                    NoSuchFileException missing = new NoSuchFileException(database.toString(), null,
                            "database does not exist: create it, or restore it with Restore.from(replica).into(path), before replicating it");
                    missing.initCause(e);
                    throw missing;
                }
                return new Replicator(engine, owned, shutdownTimeout);
            } catch (IOException | RuntimeException e) {
                closeAll(owned, e);
                throw e;
            }
        }
    }
}
