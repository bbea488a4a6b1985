package io.litestream4j.vfs;

import io.litestream4j.NoBackupException;
import io.litestream4j.ltx.LtxFileInfo;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the newest state of a replica: every poll interval it lists L0 after the state's TXID (one
 * request on a store with {@link io.litestream4j.core.replica.ListsFrom}) and moves the state
 * forward by the new files. A fresh plan over all levels (a listing per level) is made only when
 * needed: at once when L0 cannot move the state on (a gap: files compacted and removed; a file
 * vanished; a database that shrank), and in the background, never delaying a poll, once the state
 * has grown by {@link VfsOptions#replanAfterFiles} L0 files since its last plan or a reader found
 * one of its files removed (so the state moves from L0 files to their compactions, and holds few
 * files). Nothing is planned on a timer: a replica with no new writes costs one listing a poll. Publishing a state never changes
 * what a reader in a read transaction sees: each connection takes the newest state when it takes
 * its SHARED lock and keeps it until it lets go (see {@link VfsFile}). Pages whose location changed
 * are evicted from the cache.
 */
final class Follower implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Follower.class.getName());

    private final ReplicaStates states;
    private final PageCache cache;
    private final VfsOptions options;
    private final String vfsName;
    private final ScheduledExecutorService poller;
    private volatile PageMap latest;
    private volatile long replicaTxid;
    private volatile Instant behindSince;
    private volatile String lastError;
    /** L0 files added to the followed state since it was last planned over every level. */
    private int l0SincePlan;
    private volatile boolean replanWanted;
    /** The plan being made in the background, or null; touched by the polling thread only. */
    private java.util.concurrent.CompletableFuture<PageMap> replanning;
    private final ScheduledExecutorService planner;
    private final FollowStats stats = new FollowStats();

    Follower(String vfsName, ReplicaStates states, PageCache cache, VfsOptions options) {
        this.vfsName = vfsName;
        this.states = states;
        this.cache = cache;
        this.options = options;
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "litestream-vfs-" + vfsName);
            t.setDaemon(true);
            return t;
        });
        this.planner = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "litestream-vfs-plan-" + vfsName);
            t.setDaemon(true);
            return t;
        });
    }

    /** Polls once now (so a registration fails on an unreachable replica) and then every poll interval. */
    void start() throws IOException {
        try {
            pollOnce();
        } catch (NoBackupException e) {
            LOG.log(System.Logger.Level.INFO, "vfs {0}: {1}; waiting for the first snapshot", vfsName, e.getMessage());
        }
        long ms = options.pollInterval().toMillis();
        poller.scheduleAtFixedRate(this::poll, ms, ms, TimeUnit.MILLISECONDS); // a slow poll delays the next, never overlaps it
    }

    /** The newest state, or null if the replica has none yet. */
    PageMap latest() {
        return latest;
    }

    long replicaTxid() {
        return replicaTxid;
    }

    /** Since when the replica has held a TXID the published state lacks, or null when caught up. */
    Instant behindSince() {
        return behindSince;
    }

    String lastError() {
        return lastError;
    }

    /** Asks for a fresh plan in the background at the next poll (a file of the state was found missing). */
    void replanSoon() {
        replanWanted = true;
    }

    private void poll() {
        try {
            pollOnce();
            lastError = null;
        } catch (Throwable t) {
            if (poller.isShutdown()) {
                return; // closed while polling: the interruption is ours
            }
            String msg = "vfs %s: poll %s: %s".formatted(vfsName, states.client().location(), t.getMessage());
            if (!msg.equals(lastError)) {
                LOG.log(System.Logger.Level.WARNING, msg);
            }
            lastError = msg;
        }
    }

    FollowStats stats() {
        return stats;
    }

    synchronized void pollOnce() throws IOException {
        long start = System.nanoTime();
        try {
            pollTimed();
        } finally {
            stats.polled(System.nanoTime() - start);
        }
    }

    private void pollTimed() throws IOException {
        Clock clock = options.clock();
        PageMap cur = latest;
        if (cur == null) {
            long t0 = System.nanoTime();
            publish(null, states.latest());
            stats.replanned(System.nanoTime() - t0);
            l0SincePlan = 0;
            behindSince = null;
            return;
        }
        // A fresh plan made in the background since the last poll replaces the followed state's
        // chain; the L0 files after it are added below as after any state.
        PageMap fresh = finishedReplan();
        PageMap base = fresh != null ? fresh : cur;
        // One listing from the next TXID on (S3: start-after), not the minutes of files L0 keeps; a
        // file straddling the TXID, if any, is a gap that the re-plan below resolves.
        long t0 = System.nanoTime();
        List<LtxFileInfo> l0 = io.litestream4j.core.replica.ListsFrom.startingAt(states.client(), 0, base.txid() + 1);
        stats.listed(System.nanoTime() - t0);
        long newest = l0.stream().mapToLong(LtxFileInfo::maxTxid).reduce(base.txid(), io.litestream4j.ltx.Txid::max);
        PageMap next;
        int added = (int) l0.stream().filter(f -> Long.compareUnsigned(f.maxTxid(), base.txid()) > 0).count();
        try {
            long t1 = System.nanoTime();
            PageMap extended = states.extend(base, l0);
            stats.extended(System.nanoTime() - t1);
            next = extended != null ? extended : fresh;
        } catch (ReplicaStates.NeedsReplan | java.nio.file.NoSuchFileException e) {
            // L0 alone cannot move on (a gap: compacted and removed files; a vanished file; a
            // database that shrank): the state is planned again now, since nothing newer can be
            // served without it.
            LOG.log(System.Logger.Level.DEBUG, "vfs {0}: {1}; planning afresh", vfsName, e.getMessage());
            long t1 = System.nanoTime();
            next = states.latest();
            stats.replanned(System.nanoTime() - t1);
            fresh = next;
            added = 0;
        }
        if (next != null && Long.compareUnsigned(next.txid(), cur.txid()) >= 0) {
            publish(cur, next); // never an older state than the one served: a fresh plan behind it waits for the next one
            l0SincePlan = (fresh != null ? 0 : l0SincePlan) + added;
        }
        replicaTxid = Math.max(newest, latest.txid());
        behindSince = replicaTxid > latest.txid()
                ? l0.stream().filter(f -> f.maxTxid() > latest.txid()).map(LtxFileInfo::createdAt).min(Instant::compareTo).orElse(clock.instant())
                : null;
        if (replanning == null && (replanWanted || l0SincePlan >= options.replanAfterFiles())) {
            replanWanted = false;
            replanning = java.util.concurrent.CompletableFuture.supplyAsync(this::planInBackground, planner);
        }
    }

    /** A fresh plan over every level (one listing per level, then the opens), made off the polling thread. */
    private PageMap planInBackground() {
        long t0 = System.nanoTime();
        try {
            return states.latest();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            stats.replanned(System.nanoTime() - t0);
        }
    }

    /** The background plan, if one has finished since the last poll (a failed one is logged and tried again later). */
    private PageMap finishedReplan() {
        java.util.concurrent.CompletableFuture<PageMap> r = replanning;
        if (r == null || !r.isDone()) {
            return null;
        }
        replanning = null;
        try {
            return r.join();
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            LOG.log(System.Logger.Level.DEBUG, "vfs {0}: background plan of {1}: {2}", vfsName, states.client().location(), cause.toString());
            return null;
        }
    }

    private void publish(PageMap old, PageMap next) {
        latest = next;
        states.retainOnly(next);
        if (old != null) {
            cache.evict(old.locationsChangedIn(next));
        }
        if (Long.compareUnsigned(next.txid(), replicaTxid) > 0) {
            replicaTxid = next.txid();
        }
        if (old == null || old.txid() != next.txid()) {
            LOG.log(System.Logger.Level.DEBUG, "vfs {0}: serving {1}", vfsName, next);
        }
    }

    @Override
    public void close() {
        poller.shutdownNow();
        planner.shutdownNow();
    }
}
