package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the replicator with SIGKILL at random moments while an application writes, 50 times,
 * restarting it each time. The application commits rows with ids 1, 2, 3, ... in order, so any
 * committed state is "rows 1..k". After selected kills, and at the end, the replica is restored:
 * the result must pass integrity_check and be exactly rows 1..k for a k that never goes backwards,
 * and at the end equal the source.
 */
class CrashIT {
    private static final int KILLS = 50;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES) // 50 JVM starts and 6 restores; ~1 min alone, far more on a loaded machine
    void killNineAtRandomMomentsLosesNothingUploaded() throws Exception {
        long seed = Long.getLong("crash.seed", System.nanoTime());
        System.out.println("CrashIT seed " + seed + " (rerun with -Dcrash.seed=" + seed + ")");
        Random random = new Random(seed);
        Path db = dir.resolve("app.db");
        try (Connection c = TestDb.open(db)) {
            TestDb.exec(c, "CREATE TABLE rows (id INTEGER PRIMARY KEY, payload BLOB)");
        }
        Path replica = dir.resolve("replica");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong committed = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Thread writer = Thread.ofPlatform().start(() -> {
            try (Connection c = TestDb.open(db); PreparedStatement ps = c.prepareStatement("INSERT INTO rows (id, payload) VALUES (?, randomblob(?))")) {
                long id = 0;
                while (!stop.get()) {
                    ps.setLong(1, ++id);
                    ps.setInt(2, 50 + (int) (id % 2000));
                    ps.executeUpdate();
                    committed.set(id);
                    if (id % 500 == 0) {
                        // The application checkpoints now and then too.
                        try (Statement st = c.createStatement()) {
                            st.execute("PRAGMA wal_checkpoint(PASSIVE)");
                        }
                    }
                    Thread.sleep(0, 200_000);
                }
            } catch (Throwable e) {
                errors.add(e);
            }
        });

        long lastRestored = 0;
        for (int kill = 1; kill <= KILLS; kill++) {
            CliProcess p = CliProcess.start(dir, "replicate", db.toString(), replica.toString());
            if (kill == 1) {
                // The first run reaches the replica before its kill: on a loaded machine a start takes
                // seconds (10-14 s measured at load 16 on 2 cores), longer than any random delay below.
                assertThat(p.awaitLog("replicating to", Duration.ofSeconds(120))).as(p.output().toString()).isTrue();
            }
            Thread.sleep(200 + random.nextInt(1200));
            p.kill();
            if (kill % 10 == 0) {
                long k = restoreAndCheckPrefix(replica, "after-kill-" + kill + ".db");
                assertThat(k).as("restored rows after kill %d (seed %d)", kill, seed).isGreaterThanOrEqualTo(lastRestored)
                        .isLessThanOrEqualTo(committed.get());
                lastRestored = k;
            }
        }
        assertThat(lastRestored).as("something was replicated").isPositive();

        stop.set(true);
        assertThat(writer.join(Duration.ofSeconds(60))).as("writer stopped").isTrue();
        assertThat(errors).as("application errors").isEmpty();

        CliProcess p = CliProcess.start(dir, "replicate", db.toString(), replica.toString());
        assertThat(p.awaitLog("replicating to", Duration.ofSeconds(60))).as(p.output().toString()).isTrue();
        p.terminate();
        CliProcess.Result r = p.await(Duration.ofSeconds(60));
        assertThat(r.code()).as(r.toString()).isZero();
        long k = restoreAndCheckPrefix(replica, "final.db");
        assertThat(k).isEqualTo(committed.get());
        assertThat(TestDb.digest(dir.resolve("final.db"))).isEqualTo(TestDb.digest(db));
    }

    /** Restores the replica and returns k, having checked the result is exactly rows 1..k and sound. */
    private long restoreAndCheckPrefix(Path replica, String name) throws Exception {
        Path out = dir.resolve(name);
        CliProcess.Result r = CliProcess.run(dir, "restore", "-o", out.toString(), replica.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(TestDb.integrityCheck(out)).isEqualTo("ok");
        try (Connection c = TestDb.open(out); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*), coalesce(min(id), 1), coalesce(max(id), 0) FROM rows")) {
            rs.next();
            long count = rs.getLong(1);
            assertThat(rs.getLong(2)).isEqualTo(1);
            assertThat(rs.getLong(3)).as("rows are 1..k with no hole").isEqualTo(count);
            return count;
        }
    }
}
