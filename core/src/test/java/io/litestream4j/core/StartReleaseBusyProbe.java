package io.litestream4j.core;

import io.litestream4j.DatabaseOptions;
import io.litestream4j.core.replica.FileReplicaClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteException;

/**
 * Diagnostic, not a regression test (its name does not end in Test: surefire runs it only when
 * named): ReplicationTest's four concurrent writers on a fresh database, round after round,
 * printing each round's longest insert (the first one apart) and, for every SQLException, the
 * step, the extended result code and the stack. Written to find the SQLITE_BUSY that f791349's
 * start-time release met once (docs/benchmarks.md, issue #27, "the start-time release again").
 *
 * <pre>
 * ./mvnw -o -B -ntp -q test -pl core -Dtest=StartReleaseBusyProbe -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dprobe.rounds=5 -Dprobe.mode=replicator   # or alone: no replicator at all
 *     [-Dprobe.busy=100]                          # the writers' busy timeout in ms (5000)
 *     [-Dprobe.together=true]                     # the writers start on a barrier
 * </pre>
 *
 * With a replicator the start keeps its connections (few databases in the process, see
 * HeldConnections); a release at the start needs more than 64 held.
 */
class StartReleaseBusyProbe {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void probe() throws Exception {
        int rounds = Integer.getInteger("probe.rounds", 20);
        boolean withReplicator = !"alone".equals(System.getProperty("probe.mode", "replicator"));
        int failedRounds = 0;
        for (int round = 0; round < rounds; round++) {
            Path sub = Files.createDirectory(dir.resolve("r" + round));
            Path db = TestDb.create(sub, "app.db", 4096, 100);
            DatabaseReplicator r = withReplicator ? DatabaseReplicator.start(db,
                    DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(100)).withCheckpoints(Duration.ofMillis(200), 20, 121359),
                    List.of(new DatabaseReplicator.Destination(new FileReplicaClient(sub.resolve("replica")), Duration.ZERO)),
                    Clock.systemUTC()) : null;
            boolean walAtStart = Files.exists(sub.resolve("app.db-wal"));
            ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
            java.util.concurrent.atomic.AtomicLong firstMillis = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.atomic.AtomicLong laterMillis = new java.util.concurrent.atomic.AtomicLong();
            int writers = 4;
            CyclicBarrier go = new CyclicBarrier(writers);
            CountDownLatch done = new CountDownLatch(writers);
            for (int w = 0; w < writers; w++) {
                int id = w;
                Thread.ofPlatform().start(() -> {
                    String step = "await";
                    try {
                        if (Boolean.getBoolean("probe.together")) {
                            go.await(10, TimeUnit.SECONDS);
                        }
                        step = "open";
                        try (Connection c = TestDb.open(db, Integer.getInteger("probe.busy", 5000))) {
                            for (int i = 0; i < 300; i++) {
                                step = "insert " + i;
                                long t0 = System.nanoTime();
                                TestDb.insert(c, 1 + i % 5, 200);
                                long ms = (System.nanoTime() - t0) / 1_000_000;
                                if (i == 0) {
                                    firstMillis.accumulateAndGet(ms, Math::max);
                                } else {
                                    laterMillis.accumulateAndGet(ms, Math::max);
                                }
                            }
                        }
                    } catch (SQLException e) {
                        StringWriter s = new StringWriter();
                        e.printStackTrace(new PrintWriter(s));
                        String code = e instanceof SQLiteException se ? se.getResultCode() + " (" + se.getResultCode().code + ")" : "?";
                        errors.add(java.time.Instant.now() + " writer " + id + " at " + step + ": code " + code + " errorCode " + e.getErrorCode() + "\n" + s);
                    } catch (Exception e) {
                        errors.add("writer " + id + " at " + step + ": " + e);
                    } finally {
                        done.countDown();
                    }
                });
            }
            done.await(3, TimeUnit.MINUTES);
            if (r != null) {
                r.close();
            }
            System.out.println("ROUND " + round + " wal at start " + walAtStart + " releases " + (r == null ? "-" : r.database().releaseCount())
                    + " errors " + errors.size() + " longest first insert " + firstMillis.get() + " ms, longest later insert " + laterMillis.get() + " ms");
            if (!errors.isEmpty()) {
                failedRounds++;
                errors.forEach(e -> System.out.println("ERROR " + e));
            }
        }
        System.out.println("PROBE rounds " + rounds + " failed " + failedRounds + " mode " + (withReplicator ? "replicator" : "alone"));
    }
}
