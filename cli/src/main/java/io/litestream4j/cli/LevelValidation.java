package io.litestream4j.cli;

import io.litestream4j.core.replica.ReplicaHealth;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.restore.ReplicaVerifier;
import io.litestream4j.ltx.LtxFileInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Litestream's {@code validation: {interval}} and {@code verify-compaction}, made alarms: every
 * interval, each replica's levels are listed and every gap or overlap between neighbouring files
 * ({@code min != prev.max + 1}) turns the replica's health red under its key
 * ({@code validation}, {@code compaction verify}) and is counted in the metrics; the key is
 * cleared once a check finds the levels whole again. Litestream only logs these.
 *
 * <p>{@code validation} checks levels 0-3, as Litestream does. {@code verify-compaction}
 * checks the compacted levels 1 and up; Litestream checks a level after each compaction, we
 * check them all on level 1's compaction interval (so within one interval of a compaction).
 */
final class LevelValidation implements AutoCloseable {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get("litestream");
    static final String VALIDATION = "validation";
    static final String COMPACTION_VERIFY = "compaction verify";

    /** One replica to check: its database, client and health. */
    record Checked(Path db, ReplicaClient client, ReplicaHealth health) {}

    /** Counts a failed check of {@code db} (the metrics). */
    interface Counter {
        void failed(Path db, String check);
    }

    /** One kind of check: its health key, its levels, how often. */
    record Check(String key, int fromLevel, int toLevel, Duration interval) {}

    private final Supplier<List<Checked>> replicas;
    private final Counter counter;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;
    private final Object wake = new Object();

    LevelValidation(Supplier<List<Checked>> replicas, Counter counter, List<Check> checks) {
        this.replicas = replicas;
        this.counter = counter;
        for (Check c : checks) {
            threads.add(Thread.ofVirtual().name("level check " + c.key()).start(() -> loop(c)));
        }
    }

    private void loop(Check c) {
        LOG.log(System.Logger.Level.INFO, "{0}: checking levels {1}-{2} every {3}", c.key(), c.fromLevel(), c.toLevel(),
                io.litestream4j.core.GoDuration.format(c.interval()));
        while (running) {
            synchronized (wake) {
                try {
                    wake.wait(c.interval().toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (running) {
                runOnce(c);
            }
        }
    }

    /** Checks every replica once; returns how many had problems. */
    int runOnce(Check c) {
        int bad = 0;
        for (Checked r : replicas.get()) {
            List<String> problems = new ArrayList<>();
            try {
                List<LtxFileInfo> files = new ArrayList<>();
                // From the store itself, never our listing cache, which shows only what we wrote.
                var store = r.client() instanceof io.litestream4j.core.replica.CachingReplicaClient cache ? cache.delegate() : r.client();
                for (int level = c.fromLevel(); level <= c.toLevel(); level++) {
                    files.addAll(store.listFiles(level, 0));
                }
                for (int level = c.fromLevel(); level <= c.toLevel(); level++) {
                    ReplicaVerifier.chainProblems(level, files).forEach(p -> problems.add(p.message()));
                }
            } catch (IOException | RuntimeException e) {
                // A listing that fails is the uploader's and compactor's alarm already; not a broken chain.
                LOG.log(System.Logger.Level.WARNING, "{0}: {1}: listing {2} failed: {3}", r.db(), c.key(), r.client().location(),
                        ReplicaHealth.describe(e));
                continue;
            }
            if (problems.isEmpty()) {
                r.health().clear(c.key());
            } else {
                bad++;
                String text = String.join("; ", problems);
                if (r.health().problem(c.key()) == null) {
                    LOG.log(System.Logger.Level.ERROR, "{0}: replica {1}: {2} failed: {3}", r.db(), r.client().location(), c.key(), text);
                }
                r.health().report(c.key(), text);
                counter.failed(r.db(), c.key());
            }
        }
        return bad;
    }

    @Override
    public void close() {
        running = false;
        synchronized (wake) {
            wake.notifyAll();
        }
        for (Thread t : threads) {
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
