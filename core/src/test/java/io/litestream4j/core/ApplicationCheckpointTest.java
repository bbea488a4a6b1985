package io.litestream4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import io.litestream4j.ltx.LtxDecoder;
import io.litestream4j.ltx.TxidRange;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The application's own checkpoints, of every mode, while we replicate: they must not wait for
 * our read transaction, and what they do behind our back must still reach the replica whole.
 */
class ApplicationCheckpointTest {
    @TempDir
    Path dir;

    private static final List<String> MODES = List.of("FULL", "RESTART", "TRUNCATE");

    /** One application checkpoint: its mode, SQLite's busy flag, and how long it took. */
    record Checkpoint(String mode, boolean busy, long nanos) {}

    /** {@code PRAGMA wal_checkpoint(mode)} on {@code c}, timed. */
    static Checkpoint checkpoint(Connection c, String mode) throws SQLException {
        long start = System.nanoTime();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
            rs.next();
            return new Checkpoint(mode, rs.getInt(1) != 0, System.nanoTime() - start);
        }
    }

    /**
     * The application: two writer threads (busy_timeout 5000, one-row BEGIN IMMEDIATE
     * transactions) and a third connection running FULL, RESTART and TRUNCATE checkpoints in
     * turn, nine in all, while the replicator runs with its defaults. Without a replicator each
     * takes 0.01-0.1 s; our pin used to make every one wait the full 5 s and report busy.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void theApplicationsCheckpointsNeitherWaitNorFailWhileWeReplicate() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 100);
        Path replica = dir.resolve("replica");
        DatabaseReplicator r = DatabaseReplicator.start(db, DatabaseOptions.defaults(),
                List.of(new DatabaseReplicator.Destination(new FileReplicaClient(replica), Duration.ZERO)), Clock.systemUTC());
        AppWorkload app = new AppWorkload(db);
        List<Checkpoint> checkpoints;
        try {
            checkpoints = app.run(9, Duration.ofMillis(400));
        } finally {
            app.stop();
            assertThat(r.stop(Duration.ofSeconds(60))).as("replica caught up at stop").isTrue();
            r.close();
        }
        checkpoints.forEach(c -> System.out.printf("application checkpoint %s: busy %s, %.1f ms%n", c.mode(), c.busy(), c.nanos() / 1e6));
        assertThat(app.errors).as("writer errors other than SQLITE_BUSY").isEmpty();
        assertThat(app.busyErrors.get()).as("SQLITE_BUSY seen by the writers (busy_timeout 5000)").isZero();
        assertThat(app.commits.get()).as("commits during the checkpoints").isPositive();
        assertThat(checkpoints).as("the application's checkpoints").hasSize(9).allSatisfy(c -> {
            assertThat(c.busy()).as("%s returned busy", c.mode()).isFalse();
            // The bound. What a checkpoint can wait for on our side is one sync (the pin
            // is let go at most SYNC_SPACING after the WAL stops changing, and the barrier and our
            // checkpoint give up within BARRIER_PATIENCE); measured p99 is in docs/benchmarks.md.
            assertThat(Duration.ofNanos(c.nanos())).as("%s duration", c.mode()).isLessThan(Duration.ofMillis(500));
        });
        assertThat(TestDb.digest(restore(replica, "restored.db"))).isEqualTo(TestDb.digest(db));
    }

    /**
     * The application commits and TRUNCATE-checkpoints (twice, with a RESTART between) while our
     * loop does not look, so the frames are gone from the WAL before we ever see them: the next
     * sync writes exactly the pages that changed as one L0 file, not a snapshot, and the local
     * files restore to the source.
     */
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void changesCheckpointedBetweenOurLooksAreCaughtUpAsTheChangedPagesOnly() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 400);
        long before;
        TxidRange catchUp;
        try (Database database = Database.open(db, DatabaseOptions.defaults(), Clock.systemUTC(), Database.ReplicaState.EMPTY);
                Connection app = TestDb.open(db)) {
            TestDb.exec(app, "PRAGMA wal_autocheckpoint = 0");
            database.sync();
            TestDb.insert(app, 10, 100);
            assertThat(database.sync().written()).as("an ordinary increment").isPresent();
            assertThat(database.sync().written()).as("nothing new").isEmpty();
            assertThat(database.pinned()).as("pin held once caught up").isFalse();
            before = database.txid();

            TestDb.exec(app, "UPDATE t SET v = randomblob(100) WHERE id IN (3, 250)");
            TestDb.insert(app, 30, 100);
            assertThat(checkpoint(app, "TRUNCATE").busy()).as("TRUNCATE busy").isFalse();
            TestDb.exec(app, "DELETE FROM t WHERE id = 7");
            assertThat(checkpoint(app, "RESTART").busy()).as("RESTART busy").isFalse();
            TestDb.insert(app, 5, 100);
            assertThat(checkpoint(app, "TRUNCATE").busy()).as("TRUNCATE busy").isFalse();
            assertThat(Files.size(database.walPath())).as("WAL truncated").isZero();

            Database.SyncResult r = database.sync();
            assertThat(r.written()).as("catch-up file").isPresent();
            catchUp = r.written().get();
            assertThat(catchUp.min()).as("one TXID after the last, not a snapshot").isEqualTo(before + 1).isNotEqualTo(1);
            assertThat(database.catchUpCount()).isEqualTo(1);
            assertThat(database.sync().written()).as("nothing new after the catch-up").isEmpty();

            // Replication goes on in the usual way after it.
            TestDb.insert(app, 3, 100);
            assertThat(database.sync().written()).isPresent();
            assertThat(database.catchUpCount()).isEqualTo(1);
        }
        Path local = dir.resolve(".app.db-litestream");
        Path beforeDb = restoreLocal(local, OptionalLong.of(before), "before.db");
        Path afterDb = restoreLocal(local, OptionalLong.of(catchUp.max()), "after.db");
        Path latest = restoreLocal(local, OptionalLong.empty(), "latest.db");
        assertThat(TestDb.digest(latest)).as("restore of the local files equals the source").isEqualTo(TestDb.digest(db));
        assertThat(TestDb.queryLong(TestDb.open(afterDb), "SELECT count(*) FROM t")).isEqualTo(400 + 10 + 30 - 1 + 5);

        int pageSize = 4096;
        TreeSet<Integer> inFile = new TreeSet<>();
        try (InputStream in = Files.newInputStream(local.resolve("ltx/0").resolve(catchUp.fileName()));
                LtxDecoder dec = new LtxDecoder(in, catchUp.fileName())) {
            byte[] page = new byte[pageSize];
            for (int pgno; (pgno = dec.readPage(page)) != 0; ) {
                inFile.add(pgno);
            }
        }
        assertThat(inFile).as("pages in the catch-up file: exactly those that differ between the TXIDs before and after it")
                .isEqualTo(differingPages(beforeDb, afterDb, pageSize))
                .isNotEmpty();
        assertThat(inFile.size()).as("fewer pages than the database holds").isLessThan((int) (Files.size(afterDb) / pageSize));
    }

    /** Page numbers whose content differs between two database files (a page past one's end counts as zeros). */
    private static TreeSet<Integer> differingPages(Path a, Path b, int pageSize) throws Exception {
        TreeSet<Integer> diff = new TreeSet<>();
        try (FileChannel ca = FileChannel.open(a, StandardOpenOption.READ); FileChannel cb = FileChannel.open(b, StandardOpenOption.READ)) {
            long pages = Math.max(ca.size(), cb.size()) / pageSize;
            for (int pgno = 1; pgno <= pages; pgno++) {
                if (!Arrays.equals(page(ca, pgno, pageSize), page(cb, pgno, pageSize))) {
                    diff.add(pgno);
                }
            }
            // Pages past the end of the newer file are dropped by its commit size, not stored.
            diff.removeIf(p -> {
                try {
                    return (long) p * pageSize > cb.size();
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        return diff;
    }

    private static byte[] page(FileChannel ch, int pgno, int pageSize) throws Exception {
        ByteBuffer bb = ByteBuffer.allocate(pageSize);
        long pos = (long) (pgno - 1) * pageSize;
        while (bb.hasRemaining() && ch.read(bb, pos + bb.position()) > 0) {
            // read the page; past the end it stays zeros
        }
        return bb.array();
    }

    private Path restoreLocal(Path meta, OptionalLong txid, String name) throws Exception {
        Path out = dir.resolve(name);
        try (FileReplicaClient client = new FileReplicaClient(meta)) {
            var plan = RestorePlanner.plan(client, txid);
            var result = Restorer.restore(client, plan, new RestoreOptions(out, txid, RestoreOptions.IntegrityCheck.FULL, true));
            assertThat(result.checksumVerified()).as("restored database checksum verified").isTrue();
        }
        return out;
    }

    private Path restore(Path replica, String name) throws Exception {
        Path out = dir.resolve(name);
        try (FileReplicaClient client = new FileReplicaClient(replica)) {
            var plan = RestorePlanner.plan(client, OptionalLong.empty());
            var result = Restorer.restore(client, plan, new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.FULL, true));
            assertThat(result.checksumVerified()).as("restored database checksum verified").isTrue();
        }
        return out;
    }

    /**
     * Two writer threads committing one-row BEGIN IMMEDIATE transactions, each pausing
     * WRITER_PAUSE between two (an application serving requests; the Python writers had
     * the interpreter's gaps), and a connection that checkpoints. Writers at full speed with no
     * pause starve SQLite's lock polling: measured without any replicator here, FULL, RESTART and
     * TRUNCATE then took 1-5 s and two reported busy.
     */
    static final class AppWorkload {
        static final Duration WRITER_PAUSE = Duration.ofMillis(2);
        final ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        final AtomicLong busyErrors = new AtomicLong();
        final AtomicLong commits = new AtomicLong();
        private final Path db;
        private final AtomicBoolean stop = new AtomicBoolean();
        private final List<Thread> writers = new ArrayList<>();

        AppWorkload(Path db) {
            this.db = db;
        }

        /** Starts the writers, then runs {@code count} checkpoints {@code spacing} apart, FULL, RESTART, TRUNCATE in turn. */
        List<Checkpoint> run(int count, Duration spacing) throws Exception {
            for (int w = 0; w < 2; w++) {
                writers.add(Thread.ofPlatform().name("writer " + w).start(this::write));
            }
            List<Checkpoint> done = new ArrayList<>();
            try (Connection c = TestDb.open(db, 5000)) {
                for (int i = 0; i < count; i++) {
                    Thread.sleep(spacing);
                    done.add(checkpoint(c, MODES.get(i % MODES.size())));
                }
            }
            return done;
        }

        void stop() throws InterruptedException {
            stop.set(true);
            for (Thread t : writers) {
                t.join();
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
}
