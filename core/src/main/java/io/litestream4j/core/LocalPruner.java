package io.litestream4j.core;

import io.litestream4j.core.replica.ReplicaHealth;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Deletes a database's local L0 files once every replica holds them, always keeping the newest
 * (the point a restart resumes from). Runs in the background, one prune at a time, so that the
 * sync loop, which decides the data-loss window, never waits for the file system's journal.
 */
final class LocalPruner {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(LocalPruner.class);

    private final Path db;
    private final LocalLtxStore store;
    private final List<ReplicaUploader> uploaders;
    /** The last background prune; awaited by a stop or close once the sync loop has ended. */
    private volatile Thread running;

    LocalPruner(Path db, LocalLtxStore store, List<ReplicaUploader> uploaders) {
        this.db = db;
        this.store = store;
        this.uploaders = uploaders;
    }

    /**
     * {@link #prune} on a virtual thread of its own, unless one is still running. Deleting files
     * can wait on the file system's journal while others fsync (up to 450 ms measured in one
     * call), and the next sync must not wait with it.
     */
    void pruneInBackground() {
        Thread t = running;
        if (t != null && t.isAlive()) {
            return;
        }
        running = Thread.ofVirtual().name("prune " + db).start(() -> {
            try {
                prune();
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "{0}: deleting uploaded local files failed: {1}", db, ReplicaHealth.describe(e));
            }
        });
    }

    /** Waits for a background prune (the caller has stopped starting new ones). */
    void awaitBackground() throws InterruptedException {
        Thread t = running;
        if (t != null) {
            t.join(30_000);
        }
    }

    /** Deletes the local files every replica holds, keeping the newest. */
    void prune() throws IOException {
        long everywhere = uploaders.stream().mapToLong(ReplicaUploader::position).reduce((a, b) -> Long.compareUnsigned(a, b) < 0 ? a : b).orElse(0);
        List<TxidRange> local = store.list();
        for (int i = 0; i < local.size() - 1; i++) {
            if (Long.compareUnsigned(local.get(i).max(), everywhere) <= 0) {
                store.delete(local.get(i));
            }
        }
    }
}
