package io.litestream4j.vfs;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.NoSuchFileException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Read replicas: a read-only SQLite VFS, registered under a name in the SQLite that sqlite-jdbc
 * loads, that serves a database's pages straight from a replica. Any JDBC connection opened with
 * {@code jdbc:sqlite:file:NAME.db?vfs=VFS_NAME} reads the replica's newest state and follows new
 * writes; {@code &txid=HEX} or {@code &timestamp=RFC3339} pins it to the state
 * {@code litestream restore -txid/-timestamp} would restore. The file name is free (only the
 * VFS name picks the replica). Several instances, one per replica, live side by side.
 *
 * <p>Guarantees: a read transaction sees one state of the database, one that existed (a prefix of
 * the writer's transactions); new states are taken only between read transactions; writes fail
 * with SQLITE_READONLY; no failure of the replica reaches the JVM as a crash: it is an SQLite I/O
 * error on the statement, logged with the replica file's name, and {@link #lastError()}.
 *
 * <p>Not guaranteed: a read transaction that outlives the retention of every file of its state
 * (and of every equivalent plan) fails with an I/O error rather than seeing a newer state.
 */
public final class LitestreamVfs implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(LitestreamVfs.class.getName());
    private static final int PINNED_STATES = 16;

    private final String name;
    private final ReplicaClient client;
    private final VfsOptions options;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder bytesFetched = new LongAdder();
    private final PageCache cache;
    private final ReplicaStates states;
    private final Follower follower;
    private final Map<Target, PageMap> pinned = new ConcurrentHashMap<>();
    private final LongAdder hydratedReads = new LongAdder();
    private volatile String lastError;
    private volatile Hydrator hydrator;
    private MemorySegment registered;

    /** Which state a connection reads: the newest (followed), or one TXID, or one time. */
    record Target(Long txid, Instant time) {
        static final Target LATEST = new Target(null, null);

        boolean latest() {
            return txid == null && time == null;
        }

        @Override
        public String toString() {
            return txid != null ? "TXID " + Txid.format(txid) : time != null ? "time " + time : "latest";
        }
    }

    private LitestreamVfs(String name, ReplicaClient client, VfsOptions options) {
        this.name = name;
        this.client = client;
        this.options = options;
        this.cache = new PageCache(options.cacheBytes());
        this.states = new ReplicaStates(client, bytesFetched);
        this.follower = new Follower(name, states, cache, options);
    }

    /**
     * {@link #register(String, ReplicaClient, VfsOptions)} for a replica URL or plain path (a file
     * replica), decrypted with the identities of {@link VfsOptions#ageIdentitiesFile} when given
     * (the same age decorator as {@code restore}: a wrong key fails here, naming the file).
     */
    public static LitestreamVfs register(String name, String replicaUrlOrPath, VfsOptions options) throws IOException, SQLException {
        io.litestream4j.core.replica.AgeKeys keys = options.ageIdentitiesFile() == null ? null
                : io.litestream4j.core.replica.AgeKeys.of(java.util.List.of(), java.util.List.of(), options.ageIdentitiesFile(), null);
        ReplicaClient client = io.litestream4j.core.replica.AgeReplicaClient.wrap(ReplicaClients.open(replicaUrlOrPath), keys);
        try {
            return register(name, client, options);
        } catch (IOException | SQLException | RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /**
     * Registers a VFS named {@code name} that reads {@code client}'s replica, and starts following
     * it. Reads the replica's newest state first, so an unreachable replica fails here; a replica
     * with no backup yet is accepted (opens fail until its first snapshot arrives). A name
     * already registered in SQLite is an error.
     */
    public static LitestreamVfs register(String name, ReplicaClient client, VfsOptions options) throws IOException, SQLException {
        if (name == null || name.isBlank() || name.length() > 200) {
            throw new IllegalArgumentException("vfs name: want 1 to 200 characters, got \"" + name + "\"");
        }
        LitestreamVfs vfs = new LitestreamVfs(name, client, options);
        vfs.follower.start();
        try {
            if (options.hydrationFile() != null) {
                vfs.hydrate(options.hydrationFile());
            }
            vfs.registered = VfsBridge.register(vfs);
        } catch (IOException | SQLException | RuntimeException e) {
            vfs.follower.close();
            if (vfs.hydrator != null) {
                vfs.hydrator.close();
            }
            throw e;
        }
        return vfs;
    }

    public String name() {
        return name;
    }

    /** The JDBC URL of a connection to this replica's newest state. */
    public String jdbcUrl() {
        return "jdbc:sqlite:file:" + name + ".db?vfs=" + name;
    }

    /**
     * Starts hydration into {@code file} (see {@link VfsOptions#hydrationFile}), unless it runs
     * already into the same file; another file is an error (one hydration file per VFS).
     */
    synchronized void hydrate(java.nio.file.Path file) throws IOException {
        java.nio.file.Path abs = file.toAbsolutePath();
        if (hydrator == null) {
            hydrator = Hydrator.start(name, abs, follower::latest, states, options.pollInterval().toMillis());
            LOG.log(System.Logger.Level.INFO, "vfs {0}: hydrating {1}", name, abs);
        } else if (!hydrator.path().equals(abs)) {
            throw new IOException("vfs %s: hydrate=%s: this VFS hydrates %s already (one file per VFS)".formatted(name, file, hydrator.path()));
        }
    }

    // ---- metrics ----

    /** The TXID the hydration file holds whole (0 while it is copied, or without hydration). */
    public long hydratedTxid() {
        Hydrator h = hydrator;
        return h == null ? 0 : h.hydratedTxid();
    }

    /** Pages written into the hydration file by this VFS (tests). */
    long hydratedPagesCopied() {
        Hydrator h = hydrator;
        return h == null ? 0 : h.pagesCopied();
    }

    /** Page reads served from the hydration file. */
    public long hydratedReads() {
        return hydratedReads.sum();
    }

    /** The TXID of the newest state served (0 before the first snapshot). */
    public long servedTxid() {
        PageMap m = follower.latest();
        return m == null ? 0 : m.txid();
    }

    /** The newest TXID seen on the replica at the last poll. */
    public long replicaTxid() {
        return follower.replicaTxid();
    }

    /** TXIDs the replica holds that new read transactions do not see yet. */
    public long lagTxids() {
        return Math.max(0, replicaTxid() - servedTxid());
    }

    /** How long the replica has held a state newer than the one served (zero when caught up). */
    public Duration lag() {
        Instant since = follower.behindSince();
        return since == null ? Duration.ZERO : Duration.between(since, options.clock().instant()).abs();
    }

    public long cacheHits() {
        return hits.sum();
    }

    public long cacheMisses() {
        return misses.sum();
    }

    /** Bytes read from the replica (headers, page indexes and pages). */
    public long bytesFetched() {
        return bytesFetched.sum();
    }

    /** Bytes of page data in the cache (at most {@link VfsOptions#cacheBytes()}). */
    public long cacheBytes() {
        return cache.bytes();
    }

    /**
     * The metrics above under Prometheus names (label {@code vfs} = {@link #name()}), for an
     * application's own registry: {@code litestream_vfs_txid}, {@code litestream_vfs_replica_txid},
     * {@code litestream_vfs_lag_txids}, {@code litestream_vfs_lag_seconds},
     * {@code litestream_vfs_cache_hits_total}, {@code litestream_vfs_cache_misses_total},
     * {@code litestream_vfs_cache_bytes}, {@code litestream_vfs_fetched_bytes_total},
     * {@code litestream_vfs_hydrated_txid}, {@code litestream_vfs_hydrated_reads_total}.
     */
    public Map<String, Number> metrics() {
        Map<String, Number> m = new java.util.LinkedHashMap<>();
        m.put("litestream_vfs_txid", servedTxid());
        m.put("litestream_vfs_replica_txid", replicaTxid());
        m.put("litestream_vfs_lag_txids", lagTxids());
        m.put("litestream_vfs_lag_seconds", lag().toMillis() / 1000.0);
        m.put("litestream_vfs_cache_hits_total", cacheHits());
        m.put("litestream_vfs_cache_misses_total", cacheMisses());
        m.put("litestream_vfs_cache_bytes", cacheBytes());
        m.put("litestream_vfs_fetched_bytes_total", bytesFetched());
        m.put("litestream_vfs_hydrated_txid", hydratedTxid());
        m.put("litestream_vfs_hydrated_reads_total", hydratedReads());
        return m;
    }

    /** Where the follower's polls spent their time (tests and benchmarks). */
    FollowStats followStats() {
        return follower.stats();
    }

    /** The last read or poll failure, naming the replica file, or null. */
    public String lastError() {
        String read = lastError;
        Hydrator h = hydrator;
        return read != null ? read : follower.lastError() != null ? follower.lastError() : h == null ? null : h.lastError();
    }

    // ---- called by VfsBridge and VfsFile ----

    /** Parses a main database open's URI parameters ({@code txid}, {@code timestamp}) into a target, and checks it has a state; {@code hydrate=PATH} starts hydration into PATH. */
    Target target(Map<String, String> params) throws IOException {
        if (params.get("hydrate") != null) {
            hydrate(java.nio.file.Path.of(params.get("hydrate")));
        }
        String txid = params.get("txid");
        String time = params.get("timestamp");
        if (txid != null && time != null) {
            throw new IOException("vfs %s: give txid or timestamp, not both".formatted(name));
        }
        Target t = Target.LATEST;
        if (txid != null) {
            try {
                t = new Target(Txid.parse(txid).value(), null);
            } catch (RuntimeException e) {
                throw new IOException("vfs %s: txid=%s: want a TXID in hex (16 digits)".formatted(name, txid), e);
            }
        } else if (time != null) {
            try {
                t = new Target(null, OffsetDateTime.parse(time).toInstant());
            } catch (DateTimeParseException e) {
                throw new IOException("vfs %s: timestamp=%s: want an RFC 3339 time such as 2026-11-30T04:00:00Z".formatted(name, time), e);
            }
        }
        state(t);
        return t;
    }

    /** The state a connection with {@code target} reads now. */
    PageMap state(Target target) throws IOException {
        if (target.latest()) {
            PageMap m = follower.latest();
            return m != null ? m : awaitFirstState();
        }
        PageMap m = pinned.get(target);
        if (m == null) {
            m = target.txid() != null ? states.atTxid(target.txid()) : states.atTime(target.time());
            if (pinned.size() >= PINNED_STATES) {
                pinned.clear();
            }
            pinned.put(target, m);
        }
        return m;
    }

    /**
     * Waits up to {@link VfsOptions#openWait} for the follower to find the replica's first backup
     * (it polls every poll interval), as Litestream's VFS waits for one without bound. On the
     * caller's thread, inside SQLite's open: the wait is in short sleeps.
     */
    private PageMap awaitFirstState() throws IOException {
        long start = System.nanoTime();
        long deadline = start + options.openWait().toNanos();
        PageMap m;
        while ((m = follower.latest()) == null) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IOException("vfs %s: replica %s holds no backup yet (waited %d ms for its first snapshot; VfsOptions.openWait)"
                        .formatted(name, client.location(), java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)));
            }
            try {
                Thread.sleep(java.time.Duration.ofNanos(Math.min(left, 20_000_000L)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("vfs %s: interrupted while waiting for the first backup of %s".formatted(name, client.location()));
            }
        }
        return m;
    }

    /** The same TXID as {@code map}, planned again because {@code gone} was removed from the replica. */
    PageMap samestate(PageMap map, NoSuchFileException gone) throws IOException {
        LOG.log(System.Logger.Level.INFO, "vfs {0}: {1} was removed; planning TXID {2} again", name, gone.getMessage(), Txid.format(map.txid()));
        follower.replanSoon();
        PageMap same;
        try {
            same = states.atTxid(map.txid());
        } catch (IOException e) {
            IOException err = new IOException("vfs %s: %s was removed from the replica and TXID %s can no longer be rebuilt: %s"
                    .formatted(name, gone.getMessage(), Txid.format(map.txid()), e.getMessage()), e);
            throw err;
        }
        pinned.replaceAll((t, m) -> m == map ? same : m);
        return same;
    }

    /**
     * Page {@code pgno} of {@code map}, from the cache or the replica. After {@code sequentialRun}
     * pages read in order, the following pages of the same file come with it in one ranged read:
     * the prefetch size, growing by that much per window read up to eight times it (1 MiB with
     * the defaults), as an operating system's read-ahead does.
     */
    byte[] page(PageMap map, int pgno, int sequentialRun) throws IOException {
        ReplicaFile file = map.fileOf(pgno);
        if (file == null) {
            return new byte[map.pageSize()]; // the lock page, stored nowhere, restores as zeros
        }
        long key = PageCache.key(file, pgno);
        byte[] page = cache.get(key);
        if (page != null) {
            hits.increment();
            return page;
        }
        Hydrator h = hydrator;
        if (h != null && (page = h.read(map, pgno)) != null) {
            hydratedReads.increment();
            return page;
        }
        misses.increment();
        int entry = map.entryOf(pgno);
        int window = sequentialRun == 0 ? 1 : Math.min(8 * options.prefetchPages(), options.prefetchPages() * (1 + sequentialRun / options.prefetchPages()));
        int last = Math.min(entry + window - 1, file.reader().index().size() - 1);
        if (last > entry) {
            byte[][] found = new byte[1][];
            file.readPages(entry, last, (p, bytes) -> {
                cache.put(PageCache.key(file, p), bytes);
                if (p == pgno) {
                    found[0] = bytes;
                }
            });
            return found[0];
        }
        page = new byte[map.pageSize()];
        file.readPage(pgno, page);
        cache.put(key, page);
        return page;
    }

    /** Records a failure an upcall turned into an SQLite error code. */
    void failed(String what, Throwable t) {
        String msg = "vfs %s: %s: %s".formatted(name, what, t.getMessage() != null ? t.getMessage() : t.toString());
        lastError = msg;
        if (t instanceof IOException) {
            LOG.log(System.Logger.Level.WARNING, msg);
        } else {
            LOG.log(System.Logger.Level.ERROR, msg, t);
        }
    }

    /**
     * Stops following the replica, removes the VFS from SQLite (new opens by its name fail) and
     * closes the replica client: close the VFS's connections first (a connection still open can
     * read only pages already cached; others fail with SQLITE_IOERR).
     */
    @Override
    public void close() throws IOException {
        if (hydrator != null) {
            hydrator.close();
        }
        follower.close();
        states.releaseAll();
        try {
            VfsBridge.unregister(this, registered);
        } catch (SQLException e) {
            throw new IOException("vfs %s: unregister: %s".formatted(name, e.getMessage()), e);
        } finally {
            client.close();
        }
    }

    @Override
    public String toString() {
        return "LitestreamVfs[%s -> %s]".formatted(name, client.location());
    }
}
