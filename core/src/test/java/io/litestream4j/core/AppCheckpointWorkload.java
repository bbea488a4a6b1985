package io.litestream4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The application of issue 28, for tests here and in the CLI: two writer threads committing
 * one-row BEGIN IMMEDIATE transactions (busy_timeout 5000), each pausing WRITER_PAUSE between two
 * (an application serving requests; the Python writers had the interpreter's gaps), and a
 * third connection running FULL, RESTART and TRUNCATE checkpoints in turn. Writers at full speed
 * with no pause starve SQLite's lock polling: measured here without any replicator, FULL, RESTART
 * and TRUNCATE then took 1-5 s and two of nine reported busy.
 *
 * <p>Tests run the checkpoints 0.4 s apart, so the WAL stays well under 1000 frames and neither
 * SQLite's automatic checkpoint nor ours (min-checkpoint-page-count) runs: a checkpoint that finds
 * another one running returns busy at once (SQLite never waits for its checkpoint lock), with or
 * without a replicator. How often that happens with checkpoints further apart is measured by
 * {@code bench/compare} (docs/benchmarks.md), not asserted here.
 */
public final class AppCheckpointWorkload implements AutoCloseable {
    public static final Duration WRITER_PAUSE = Duration.ofMillis(2);
    /**
     * The most one application checkpoint may take here. The failure this guards against is a
     * checkpoint stalled behind our read transaction: it waits the application's whole busy
     * timeout (5 s) and returns busy, which the busy flag also catches. Half the busy timeout
     * tells that failure from scheduling noise on a loaded 2-core machine (one RESTART took
     * 555 ms at load 17 during a full build; alone they take 2-300 ms). The 0.5 s target
     * is a latency figure, measured by {@code bench/compare appcheckpoints} in
     * docs/benchmarks.md (with us the slowest of 30 took 94.7 ms), not asserted here.
     */
    public static final Duration CHECKPOINT_BOUND = Duration.ofMillis(2500);
    private static final List<String> MODES = List.of("FULL", "RESTART", "TRUNCATE");

    /** One application checkpoint: its mode, SQLite's busy flag, and how long it took. */
    public record Checkpoint(String mode, boolean busy, long nanos) {}

    private final ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    private final AtomicLong busyErrors = new AtomicLong();
    private final AtomicLong commits = new AtomicLong();
    private final Path db;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> writers = new ArrayList<>();
    private int next;

    /** Starts the two writers on {@code db} (which must hold a table {@code t(id INTEGER PRIMARY KEY, v BLOB)}). */
    public AppCheckpointWorkload(Path db) {
        this.db = db;
        for (int w = 0; w < 2; w++) {
            writers.add(Thread.ofPlatform().name("writer " + w).start(this::write));
        }
    }

    /** {@code PRAGMA wal_checkpoint(mode)} on {@code c}, timed. */
    public static Checkpoint checkpoint(Connection c, String mode) throws SQLException {
        long start = System.nanoTime();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
            rs.next();
            return new Checkpoint(mode, rs.getInt(1) != 0, System.nanoTime() - start);
        }
    }

    /** Runs {@code count} checkpoints {@code spacing} apart, FULL, RESTART, TRUNCATE in turn, on a connection of their own. */
    public List<Checkpoint> run(int count, Duration spacing) throws Exception {
        List<Checkpoint> done = new ArrayList<>();
        try (Connection c = TestDb.open(db, 5000)) {
            for (int i = 0; i < count; i++) {
                Thread.sleep(spacing);
                done.add(checkpoint(c, MODES.get(next++ % MODES.size())));
            }
        }
        return done;
    }

    /** Asserts {@code count} checkpoints, none busy and each within CHECKPOINT_BOUND, and prints them. */
    public static void assertNeitherBusyNorSlow(List<Checkpoint> checkpoints, int count) {
        checkpoints.forEach(c -> System.out.printf("application checkpoint %s: busy %s, %.1f ms%n", c.mode(), c.busy(), c.nanos() / 1e6));
        assertThat(checkpoints).as("the application's checkpoints").hasSize(count).allSatisfy(c -> {
            assertThat(c.busy()).as("%s returned busy", c.mode()).isFalse();
            assertThat(Duration.ofNanos(c.nanos())).as("%s duration", c.mode()).isLessThan(CHECKPOINT_BOUND);
        });
    }

    public long commits() {
        return commits.get();
    }

    /** SQLITE_BUSY errors the writers got (each waited its busy_timeout of 5 s first). */
    public long busyErrors() {
        return busyErrors.get();
    }

    /** Writer errors other than SQLITE_BUSY. */
    public List<Throwable> errors() {
        return List.copyOf(errors);
    }

    /** Stops the writers and waits for them. */
    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread t : writers) {
            // A writer's statement waits at most its 5 s busy timeout: 30 s is a hang, not a slow machine.
            if (!t.join(java.time.Duration.ofSeconds(30))) {
                throw new IllegalStateException("writer " + t.getName() + " did not stop within 30 s");
            }
        }
    }

    private void write() {
        try (Connection c = TestDb.open(db, 5000); var ps = c.prepareStatement("INSERT INTO t (v) VALUES (randomblob(100))")) {
            while (!stop.get()) {
                try {
                    TestDb.exec(c, "BEGIN IMMEDIATE");
                    ps.executeUpdate();
                    TestDb.exec(c, "COMMIT");
                    commits.incrementAndGet();
                    Thread.sleep(WRITER_PAUSE);
                } catch (SQLException e) {
                    if (!String.valueOf(e.getMessage()).contains("SQLITE_BUSY") && e.getErrorCode() != 5) {
                        throw e;
                    }
                    busyErrors.incrementAndGet();
                    try {
                        TestDb.exec(c, "ROLLBACK");
                    } catch (SQLException none) {
                        // BEGIN IMMEDIATE itself was refused: no transaction to end
                    }
                }
            }
        } catch (Throwable e) {
            errors.add(e);
        }
    }
}
