package io.litestream4j.core;

import io.litestream4j.DatabaseOptions;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import io.litestream4j.core.replica.FileReplicaClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Timeout;

/** How our pin and checkpoints leave room for the application's own checkpoints and keep the WAL small. */
@Timeout(300) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class CheckpointPinTest {
    @TempDir
    Path dir;

    /** Frames the application's PASSIVE checkpoint copied into the database. */
    private static int applicationCheckpoint(Connection c) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
            rs.next();
            return rs.getInt(3);
        }
    }

    /**
     * After our checkpoint copies the whole WAL, the pin taken on it holds SQLite's read mark 0,
     * which stops every checkpoint. Once the application has restarted the WAL and we have synced
     * its frames, the pin must have moved: the application's checkpoint can copy them.
     */
    @Test
    void theApplicationCanCheckpointAfterOurCheckpointAndARestart() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        try (Database database = Database.open(db, DatabaseOptions.defaults(), Clock.systemUTC(), Database.ReplicaState.EMPTY);
                Connection app = TestDb.open(db)) {
            TestDb.exec(app, "PRAGMA wal_autocheckpoint = 0");
            database.sync();
            TestDb.insert(app, 20, 100);
            database.sync();
            assertThat(database.passiveCheckpoint()).as("our checkpoint copied the whole WAL").isTrue();
            TestDb.insert(app, 20, 100); // restarts the WAL
            database.sync();
            assertThat(applicationCheckpoint(app)).as("frames the application's checkpoint copied after our sync").isPositive();
        }
    }

    /**
     * An application committing at full speed holds the write lock nearly all of the time; our
     * checkpoints must still find it between two commits, or the WAL grows without bound (it
     * reached 400 MiB in 2 s when the barrier relied on SQLite's busy handler).
     */
    @Test
    void theWalStaysSmallUnderAWriterAtFullSpeed() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        DatabaseReplicator r = DatabaseReplicator.start(db, DatabaseOptions.defaults(),
                List.of(new DatabaseReplicator.Destination(new FileReplicaClient(replica), Duration.ZERO)), Clock.systemUTC());
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong commits = new AtomicLong();
        Thread writer = Thread.ofPlatform().start(() -> {
            try (Connection c = TestDb.open(db)) {
                // As Litestream's users are told to run: no fsync per commit, so commits come
                // fast, and the automatic checkpoint after each of them holds SQLite's
                // checkpoint lock much of the time.
                TestDb.exec(c, "PRAGMA synchronous = NORMAL");
                while (!stop.get()) {
                    TestDb.insert(c, 1, 100);
                    commits.incrementAndGet();
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        long limit = 32L << 20;
        long enough = 2 * limit / 4096; // commits: each writes at least one page
        long largest = 0;
        long start = System.nanoTime();
        long end = start + Duration.ofSeconds(3).toNanos();
        long cap = start + Duration.ofSeconds(30).toNanos();
        try {
            while ((System.nanoTime() < end || commits.get() < enough) && System.nanoTime() < cap) {
                Path wal = Path.of(db + "-wal");
                largest = Math.max(largest, Files.exists(wal) ? Files.size(wal) : 0);
                Thread.sleep(5);
            }
        } finally {
            stop.set(true);
            assertThat(writer.join(Duration.ofSeconds(60))).as("writer stopped").isTrue();
        }
        assertThat(r.stop(Duration.ofSeconds(30))).isTrue();
        r.close();
        assertThat(largest).as("largest WAL in bytes over %d commits (checkpoints: %d)", commits.get(), r.database().checkpointCount())
                .isLessThan(limit);
        assertThat(commits.get()).as("commits, enough to grow the WAL past the limit without checkpoints").isGreaterThanOrEqualTo(enough);
    }
}
