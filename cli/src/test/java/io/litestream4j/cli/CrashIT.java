package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.Soak;
import io.litestream4j.core.TestDb;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the replicator (the real CLI process) with SIGKILL at random moments while an
 * application writes about 500 transactions a second from four connections and checkpoints the
 * database itself in every mode (PASSIVE, FULL, RESTART, TRUNCATE, in turn), restarting the
 * replicator after each kill: 50 kills in CI, 200 with {@code -Psoak}. Each writer commits rows
 * {@code (writer, 1), (writer, 2), ...} in order, so any committed state holds, for each writer,
 * exactly rows 1..k. After every tenth kill, and at the end, the replica is restored: the result
 * must pass integrity_check and be such a prefix for every writer, never going backwards, and at
 * the end equal the source.
 */
class CrashIT {
    private static final int KILLS = Soak.pick(50, 200);
    private static final int WRITERS = 4;
    /** Per writer: 4 x 125 = 500 transactions a second. */
    private static final long WRITER_PERIOD_NANOS = TimeUnit.SECONDS.toNanos(1) / 125;
    private static final List<String> CHECKPOINT_MODES = List.of("PASSIVE", "FULL", "RESTART", "TRUNCATE");

    /** SQLITE_BUSY answers the application met and retried (writers) or skipped (checkpoints). */
    private static final AtomicLong BUSY = new AtomicLong();

    @TempDir
    Path dir;

    @Test
    // 50 JVM starts and 6 restores: ~2 min alone, far more on a loaded machine; the soak's 200 take four times that.
    @Timeout(value = 60, unit = TimeUnit.MINUTES)
    void killNineAtRandomMomentsLosesNothingUploaded() throws Exception {
        long seed = Long.getLong("crash.seed", System.nanoTime());
        System.out.println("CrashIT seed " + seed + " (rerun with -Dcrash.seed=" + seed + ")");
        Random random = new Random(seed);
        Path db = dir.resolve("app.db");
        try (Connection c = TestDb.open(db)) {
            TestDb.exec(c, "CREATE TABLE rows (writer INTEGER, seq INTEGER, payload BLOB, PRIMARY KEY (writer, seq))");
        }
        Path replica = dir.resolve("replica");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLongArray committed = new AtomicLongArray(WRITERS);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        // The first start after a build also trains bin/litestream's start-up cache: over 60 s at
        // load 25. It runs before the load does, and the first kill comes once it has reached the replica.
        CliProcess first = CliProcess.start(dir, "replicate", db.toString(), replica.toString());
        assertThat(first.awaitLog("replicating to", Duration.ofSeconds(300))).as(first.output().toString()).isTrue();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            threads.add(Thread.ofPlatform().name("writer " + w).start(() -> write(db, writer, committed, stop, errors)));
        }
        Map<String, AtomicLong> checkpoints = new ConcurrentHashMap<>();
        threads.add(Thread.ofPlatform().name("app checkpoints").start(() -> checkpoint(db, checkpoints, stop, errors)));

        long started = System.nanoTime();
        long[] lastRestored = new long[WRITERS];
        int restores = 0;
        for (int kill = 1; kill <= KILLS; kill++) {
            CliProcess p = kill == 1 ? first : CliProcess.start(dir, "replicate", db.toString(), replica.toString());
            // Every other kill counts from the moment the replicator is up, the others from its
            // launch (so some land in its start-up): at load 20 a JVM start took longer than the
            // 0.2-1.4 s, and 50 kills from launch replicated nothing at all.
            if (kill % 2 == 1) {
                assertThat(p.awaitLog("replicating to", Duration.ofSeconds(300))).as("replicator %d started: %s", kill, p.output()).isTrue();
            }
            Thread.sleep(200 + random.nextInt(1200));
            // A run that exited by itself (a lease still held, a failed start) is a failure, not a kill.
            assertThat(p.isAlive()).as("replicator %d alive when killed: %s", kill, p.output()).isTrue();
            p.kill();
            if (kill % 10 == 0) {
                long[] k = restoreAndCheckPrefix(replica, "after-kill-" + kill + ".db");
                restores++;
                for (int w = 0; w < WRITERS; w++) {
                    assertThat(k[w]).as("writer %d's rows restored after kill %d (seed %d)", w, kill, seed)
                            .isGreaterThanOrEqualTo(lastRestored[w]).isLessThanOrEqualTo(committed.get(w));
                }
                lastRestored = k;
            }
        }
        assertThat(java.util.Arrays.stream(lastRestored).sum()).as("something was replicated").isPositive();

        stop.set(true);
        for (Thread t : threads) {
            assertThat(t.join(Duration.ofSeconds(60))).as("%s stopped", t.getName()).isTrue();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        assertThat(errors).as("application errors").isEmpty();

        CliProcess p = CliProcess.start(dir, "replicate", db.toString(), replica.toString());
        assertThat(p.awaitLog("replicating to", Duration.ofSeconds(120))).as(p.output().toString()).isTrue();
        p.terminate();
        CliProcess.Result r = p.await(Duration.ofSeconds(60));
        assertThat(r.code()).as(r.toString()).isZero();
        long[] k = restoreAndCheckPrefix(replica, "final.db");
        restores++;
        long total = 0;
        for (int w = 0; w < WRITERS; w++) {
            assertThat(k[w]).as("writer %d", w).isEqualTo(committed.get(w));
            total += committed.get(w);
        }
        assertThat(TestDb.digest(dir.resolve("final.db"))).isEqualTo(TestDb.digest(db));
        System.out.printf("CrashIT: %d kill -9 in %.0f s, %d transactions from %d writers (%.0f/s), application checkpoints %s, "
                + "%d SQLITE_BUSY retried; %d restores checked, 0 corrupt or lossy%n", KILLS, seconds, total, WRITERS, total / seconds,
                new TreeMap<>(checkpoints), BUSY.get(), restores);
    }

    /** Commits rows (writer, 1), (writer, 2), ... at WRITER_PERIOD_NANOS intervals. */
    private static void write(Path db, int writer, AtomicLongArray committed, AtomicBoolean stop, ConcurrentLinkedQueue<Throwable> errors) {
        try (Connection c = TestDb.open(db, 5000);
                PreparedStatement ps = c.prepareStatement("INSERT INTO rows (writer, seq, payload) VALUES (?, ?, randomblob(?))")) {
            long seq = 0;
            long next = System.nanoTime();
            while (!stop.get()) {
                ps.setInt(1, writer);
                ps.setLong(2, seq + 1);
                ps.setInt(3, 50 + (int) (seq % 2000));
                try {
                    ps.executeUpdate();
                } catch (SQLException e) {
                    if (!e.getMessage().contains("SQLITE_BUSY")) {
                        throw e;
                    }
                    // The application's own RESTART/TRUNCATE checkpoints hold the write lock while
                    // they wait for readers; a writer may time out behind one and retries, as an
                    // application would. Counted and printed; AppCheckpointCliIT bounds it.
                    BUSY.incrementAndGet();
                    continue;
                }
                committed.set(writer, ++seq);
                next += WRITER_PERIOD_NANOS;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } else if (wait < -TimeUnit.SECONDS.toNanos(1)) {
                    next = System.nanoTime(); // fell behind (a loaded machine): no burst to catch up
                }
            }
        } catch (Throwable e) {
            errors.add(e);
        }
    }

    /** The application's own checkpoints, every mode in turn, a quarter of a second apart. */
    private static void checkpoint(Path db, Map<String, AtomicLong> counts, AtomicBoolean stop, ConcurrentLinkedQueue<Throwable> errors) {
        try (Connection c = TestDb.open(db, 5000); Statement st = c.createStatement()) {
            for (int i = 0; !stop.get(); i++) {
                Thread.sleep(250);
                String mode = CHECKPOINT_MODES.get(i % CHECKPOINT_MODES.size());
                try (ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
                    rs.next(); // busy = 1 is an answer, not an error: another checkpoint ran (ours, or a kill's leftovers)
                } catch (SQLException e) {
                    if (!e.getMessage().contains("SQLITE_BUSY")) {
                        throw e;
                    }
                    BUSY.incrementAndGet();
                    continue;
                }
                counts.computeIfAbsent(mode, m -> new AtomicLong()).incrementAndGet();
            }
        } catch (SQLException | InterruptedException e) {
            errors.add(e);
        }
    }

    /** Restores the replica and returns each writer's k, having checked the result is exactly rows 1..k per writer and sound. */
    private long[] restoreAndCheckPrefix(Path replica, String name) throws Exception {
        Path out = dir.resolve(name);
        CliProcess.Result r = CliProcess.run(dir, Duration.ofSeconds(120), "restore", "-o", out.toString(), replica.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(TestDb.integrityCheck(out)).isEqualTo("ok");
        long[] k = new long[WRITERS];
        try (Connection c = TestDb.open(out); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT writer, count(*), min(seq), max(seq) FROM rows GROUP BY writer")) {
            while (rs.next()) {
                int w = rs.getInt(1);
                long count = rs.getLong(2);
                assertThat(rs.getLong(3)).as("writer %d's first row", w).isEqualTo(1);
                assertThat(rs.getLong(4)).as("writer %d's rows are 1..k with no hole", w).isEqualTo(count);
                k[w] = count;
            }
        }
        return k;
    }
}
