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
 * Keeps the newest state of a replica: every poll interval it lists L0 after the state's TXID and
 * moves the state forward by the new files; when L0 cannot (files compacted and removed, a gap, a
 * database that shrank) and at every re-plan interval it plans a fresh state over all levels (so
 * the state moves off L0 files before retention removes them). Publishing a state never changes
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
    private Instant nextReplan = Instant.MIN;

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

    /** Asks for a fresh plan at the next poll (a file of the state was found missing). */
    void replanSoon() {
        synchronized (this) {
            nextReplan = Instant.MIN;
        }
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

    synchronized void pollOnce() throws IOException {
        Clock clock = options.clock();
        PageMap cur = latest;
        if (cur == null || !clock.instant().isBefore(nextReplan)) {
            publish(cur, states.latest());
            nextReplan = clock.instant().plus(options.replanInterval());
            behindSince = null;
            return;
        }
        // One listing from the next TXID on (S3: start-after), not the minutes of files L0 keeps; a
        // file straddling the TXID, if any, is a gap that the re-plan below resolves.
        List<LtxFileInfo> l0 = io.litestream4j.core.replica.ListsFrom.startingAt(states.client(), 0, cur.txid() + 1);
        long newest = l0.stream().mapToLong(LtxFileInfo::maxTxid).reduce(cur.txid(), io.litestream4j.ltx.Txid::max);
        PageMap next;
        try {
            next = states.extend(cur, l0);
        } catch (ReplicaStates.NeedsReplan | java.nio.file.NoSuchFileException e) {
            LOG.log(System.Logger.Level.DEBUG, "vfs {0}: {1}; planning afresh", vfsName, e.getMessage());
            next = states.latest();
            nextReplan = clock.instant().plus(options.replanInterval());
        }
        if (next != null) {
            publish(cur, next);
        }
        replicaTxid = Math.max(newest, latest.txid());
        behindSince = replicaTxid > latest.txid()
                ? l0.stream().filter(f -> f.maxTxid() > latest.txid()).map(LtxFileInfo::createdAt).min(Instant::compareTo).orElse(clock.instant())
                : null;
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
    }
}
