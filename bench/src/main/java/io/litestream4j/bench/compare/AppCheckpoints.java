package io.litestream4j.bench.compare;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The application of issue 28: two writer threads committing one-row {@code BEGIN IMMEDIATE}
 * transactions (busy_timeout 5000, a WRITER_PAUSE between two, as an application serving requests
 * does), and a third connection that runs {@code PRAGMA wal_checkpoint} FULL, RESTART and TRUNCATE
 * in turn, timing each and counting the busy results and the writers' SQLITE_BUSY errors.
 */
final class AppCheckpoints {
    static final Duration WRITER_PAUSE = Duration.ofMillis(2);
    private static final List<String> MODES = List.of("FULL", "RESTART", "TRUNCATE");

    /**
     * Each checkpoint's duration; the checkpoints that returned busy after waiting for readers or
     * writers, and those that returned busy at once because another connection's checkpoint (an
     * automatic one of SQLite's, or a replicator's) held SQLite's checkpoint lock, for which SQLite
     * never waits (log and checkpointed frames -1); the writers' SQLITE_BUSY errors.
     */
    record Result(List<Double> millis, int busy, int lockedOut, long writerBusy) {}

    private AppCheckpoints() {}

    static Result run(Path db, int count, Duration spacing) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong writerBusy = new AtomicLong();
        List<Thread> writers = new ArrayList<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int w = 0; w < 2; w++) {
            writers.add(Thread.ofPlatform().start(() -> write(db, stop, writerBusy, errors)));
        }
        List<Double> millis = new ArrayList<>();
        int busy = 0;
        int lockedOut = 0;
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute("PRAGMA busy_timeout = 5000");
            for (int i = 0; i < count; i++) {
                Thread.sleep(spacing);
                long start = System.nanoTime();
                try (ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(" + MODES.get(i % MODES.size()) + ")")) {
                    rs.next();
                    if (rs.getInt(1) != 0 && rs.getInt(2) == -1) {
                        lockedOut++;
                    } else if (rs.getInt(1) != 0) {
                        busy++;
                    }
                }
                millis.add((System.nanoTime() - start) / 1e6);
            }
        } finally {
            stop.set(true);
            for (Thread t : writers) {
                t.join();
            }
        }
        if (!errors.isEmpty()) {
            throw new IllegalStateException("writer failed", errors.getFirst());
        }
        return new Result(millis, busy, lockedOut, writerBusy.get());
    }

    private static void write(Path db, AtomicBoolean stop, AtomicLong writerBusy, List<Throwable> errors) {
        try (RowWriter w = new RowWriter(db)) {
            while (!stop.get()) {
                try {
                    w.commitImmediate(100);
                } catch (SQLException e) {
                    if (e.getErrorCode() != 5 && !String.valueOf(e.getMessage()).contains("SQLITE_BUSY")) {
                        throw e;
                    }
                    writerBusy.incrementAndGet();
                }
                Thread.sleep(WRITER_PAUSE);
            }
        } catch (Throwable e) {
            errors.add(e);
        }
    }
}
