package io.litestream4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Databases that do not exist yet when {@code replicate} starts (a service started before the
 * application creates its database), as Litestream waits for them: each is logged once, looked
 * at every second, and replicated from the moment its file holds data. A file that appears but
 * cannot be replicated yet is tried again each second, with one warning.
 */
final class DatabaseWait implements AutoCloseable {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get("litestream");
    static final Duration INTERVAL = Duration.ofSeconds(1);

    /** Makes a database's replication target once its file exists (opening its replicas anew each try). */
    @FunctionalInterface
    interface TargetMaker {
        Replication.Target make() throws IOException;
    }

    /** A database not created yet, and how to replicate it when it is. */
    record Awaited(Path db, TargetMaker target) {}

    private final List<Awaited> waiting;
    private final Replication replication;
    private final Set<Path> failing = new HashSet<>();
    private final Object wake = new Object();
    private volatile boolean running = true;
    private final Thread thread;

    DatabaseWait(List<Awaited> databases, Replication replication) {
        this.waiting = new CopyOnWriteArrayList<>(databases);
        this.replication = replication;
        for (Awaited a : databases) {
            LOG.log(System.Logger.Level.INFO, "{0} does not exist yet: waiting for it to be created, then replicating it", a.db());
        }
        this.thread = Thread.ofVirtual().name("database wait").start(this::run);
    }

    private void run() {
        while (running && !waiting.isEmpty()) {
            synchronized (wake) {
                try {
                    wake.wait(INTERVAL.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
            waiting.removeIf(a -> running && tryStart(a));
        }
    }

    /** True once {@code a} replicates. SQLite creates the file empty and writes its header with the first change: an empty file is not a database yet. */
    private boolean tryStart(Awaited a) {
        try {
            if (!Files.exists(a.db()) || Files.size(a.db()) == 0) {
                return false;
            }
            replication.add(a.target().make());
            LOG.log(System.Logger.Level.INFO, "{0} was created: replicating it", a.db());
            return true;
        } catch (IOException | RuntimeException e) {
            if (failing.add(a.db())) { // say it once, not every second
                LOG.log(System.Logger.Level.WARNING, "{0} exists now but cannot be replicated yet (trying every second): {1}", a.db(),
                        io.litestream4j.core.replica.ReplicaHealth.describe(e));
            }
            return false;
        }
    }

    /** Stops waiting; a database being started meanwhile finishes starting first (not interrupted), so the caller's stop includes it. */
    @Override
    public void close() {
        running = false;
        synchronized (wake) {
            wake.notifyAll();
        }
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
