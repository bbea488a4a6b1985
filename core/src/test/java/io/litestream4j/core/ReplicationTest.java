package io.litestream4j.core;

import io.litestream4j.DatabaseOptions;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import io.litestream4j.ltx.LtxFileInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;

/** Replicates real SQLite databases written by real connections, then restores and compares. */
@Timeout(300) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class ReplicationTest {
    @TempDir
    Path dir;

    private static final DatabaseOptions FAST = DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(100));

    private DatabaseReplicator start(Path db, Path replica, DatabaseOptions options) throws Exception {
        return DatabaseReplicator.start(db, options,
                List.of(new DatabaseReplicator.Destination(new FileReplicaClient(replica), Duration.ZERO)), Clock.systemUTC());
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

    private static void stop(DatabaseReplicator r) throws InterruptedException {
        assertThat(r.stop(Duration.ofSeconds(30))).as("replica caught up at stop").isTrue();
        r.close();
    }

    /** TXIDs in level 0 of the replica, asserting they run 1..n (or from a start) without a gap. */
    private static List<Long> txids(Path replica) throws Exception {
        try (FileReplicaClient client = new FileReplicaClient(replica)) {
            List<Long> ids = new ArrayList<>();
            for (LtxFileInfo f : client.listFiles(0, 0)) {
                assertThat(f.minTxid()).as("contiguous after %s", ids).isEqualTo(ids.isEmpty() ? f.minTxid() : ids.getLast() + 1);
                ids.add(f.maxTxid());
            }
            return ids;
        }
    }

    @Test
    void concurrentWritersNeverSeeBusyAndTheRestoreMatches() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 100);
        Path replica = dir.resolve("replica");
        // Checkpoint often, so writers meet the barrier many times.
        DatabaseReplicator r = start(db, replica, FAST.withCheckpoints(Duration.ofMillis(200), 20, 121359));
        int writers = 4;
        int transactions = 300;
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch done = new CountDownLatch(writers);
        for (int w = 0; w < writers; w++) {
            Thread.ofPlatform().start(() -> {
                try (Connection c = TestDb.open(db)) {
                    for (int i = 0; i < transactions; i++) {
                        TestDb.insert(c, 1 + i % 5, 200);
                    }
                } catch (Throwable e) {
                    errors.add(e);
                } finally {
                    done.countDown();
                }
            });
        }
        assertThat(done.await(3, java.util.concurrent.TimeUnit.MINUTES)).as("writers finished within 3 minutes").isTrue();
        stop(r);
        assertThat(errors).as("writer errors (SQLITE_BUSY would show here)").isEmpty();
        Path restored = restore(replica, "restored.db");
        assertThat(TestDb.digest(restored)).isEqualTo(TestDb.digest(db));
        assertThat(TestDb.queryLong(TestDb.open(restored), "SELECT count(*) FROM t")).isEqualTo(100 + writers * transactions * 3L);
        txids(replica);
    }

    @ParameterizedTest
    @ValueSource(strings = {"PASSIVE", "FULL", "RESTART", "TRUNCATE"})
    void applicationCheckpointsWhileReplicating(String mode) throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        DatabaseReplicator r = start(db, replica, FAST);
        try (Connection c = TestDb.open(db, 200)) {
            for (int round = 0; round < 5; round++) {
                TestDb.insert(c, 20, 300);
                try {
                    TestDb.exec(c, "PRAGMA wal_checkpoint(" + mode + ")");
                } catch (SQLException busy) {
                    // RESTART and TRUNCATE may report busy while the replicator pins the WAL; that is the point.
                }
                TestDb.insert(c, 5, 300);
            }
        }
        stop(r);
        assertThat(TestDb.digest(restore(replica, "restored.db"))).isEqualTo(TestDb.digest(db));
        txids(replica);
    }

    @ParameterizedTest
    @ValueSource(strings = {"PASSIVE", "FULL", "RESTART", "TRUNCATE"})
    void applicationCheckpointsWhileStopped(String mode) throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        DatabaseReplicator r = start(db, replica, FAST);
        try (Connection c = TestDb.open(db)) {
            TestDb.insert(c, 50, 300);
            stop(r);
            TestDb.insert(c, 50, 300);
            TestDb.exec(c, "PRAGMA wal_checkpoint(" + mode + ")");
            TestDb.insert(c, 50, 300);
            r = start(db, replica, FAST);
            TestDb.insert(c, 50, 300);
        }
        stop(r);
        assertThat(TestDb.digest(restore(replica, "restored.db"))).isEqualTo(TestDb.digest(db));
        txids(replica);
    }

    @Test
    void vacuumShrinksTheDatabase() throws Exception {
        Path db = TestDb.create(dir, "app.db", 1024, 2000);
        Path replica = dir.resolve("replica");
        DatabaseReplicator r = start(db, replica, FAST);
        long before;
        try (Connection c = TestDb.open(db)) {
            before = TestDb.queryLong(c, "PRAGMA page_count");
            TestDb.exec(c, "DELETE FROM t WHERE id % 4 != 0", "VACUUM");
            TestDb.insert(c, 10, 50);
            assertThat(TestDb.queryLong(c, "PRAGMA page_count")).isLessThan(before);
        }
        stop(r);
        Path restored = restore(replica, "restored.db");
        assertThat(TestDb.digest(restored)).isEqualTo(TestDb.digest(db));
        try (Connection a = TestDb.open(restored); Connection b = TestDb.open(db)) {
            assertThat(TestDb.queryLong(a, "PRAGMA page_count")).isEqualTo(TestDb.queryLong(b, "PRAGMA page_count"));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 65536})
    void extremePageSizes(int pageSize) throws Exception {
        Path db = TestDb.create(dir, "app.db", pageSize, 300);
        Path replica = dir.resolve("replica");
        DatabaseReplicator r = start(db, replica, FAST);
        try (Connection c = TestDb.open(db)) {
            TestDb.insert(c, 100, 700);
        }
        stop(r);
        assertThat(TestDb.digest(restore(replica, "restored.db"))).isEqualTo(TestDb.digest(db));
    }

    @Test
    void restartsContinueTheTxidSequence() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        try (Connection c = TestDb.open(db)) {
            for (int run = 0; run < 3; run++) {
                DatabaseReplicator r = start(db, replica, FAST);
                TestDb.insert(c, 10, 100);
                r.syncOnce();
                TestDb.insert(c, 10, 100);
                stop(r);
            }
        }
        List<Long> ids = txids(replica);
        assertThat(ids.getFirst()).isEqualTo(1);
        assertThat(ids.getLast()).isGreaterThanOrEqualTo(6);
        assertThat(TestDb.digest(restore(replica, "restored.db"))).isEqualTo(TestDb.digest(db));
    }

    @Test
    void afterARestoreReplicationContinuesTheReplicasSequence() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        DatabaseReplicator r = start(db, replica, FAST);
        try (Connection c = TestDb.open(db)) {
            TestDb.insert(c, 30, 100);
        }
        stop(r);
        long lastBefore = txids(replica).getLast();

        // Disaster: the machine is gone. Restore to a new path and replicate from there.
        Path restored = restore(replica, "new.db");
        r = start(restored, replica, FAST);
        try (Connection c = TestDb.open(restored)) {
            TestDb.insert(c, 30, 100);
        }
        stop(r);
        List<Long> ids = txids(replica);
        assertThat(ids.getLast()).isGreaterThan(lastBefore);
        assertThat(ids).contains(lastBefore + 1);
        assertThat(TestDb.digest(restore(replica, "again.db"))).isEqualTo(TestDb.digest(restored));
    }

    @Test
    void restartingWithAnUnchangedDatabaseUploadsNoSnapshot() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 2000);
        Path replica = dir.resolve("replica");
        stop(start(db, replica, FAST));
        // The last connection closed: SQLite checkpointed and removed the WAL, so the WAL
        // position in our local files is gone, but the database file is the replicated state.
        assertThat(Files.exists(dir.resolve("app.db-wal"))).isFalse();
        for (int run = 0; run < 2; run++) {
            stop(start(db, replica, FAST));
        }
        assertThat(txids(replica)).containsExactly(1L);

        // Writes made while stopped (and checkpointed into the file by the app) do cost a snapshot.
        try (Connection c = TestDb.open(db)) {
            TestDb.insert(c, 5, 100);
        }
        DatabaseReplicator r = start(db, replica, FAST);
        // Writes after the start land in a new WAL generation; they follow as ordinary files.
        try (Connection c = TestDb.open(db)) {
            TestDb.insert(c, 5, 100);
        }
        stop(r);
        assertThat(txids(replica)).hasSizeGreaterThanOrEqualTo(3).startsWith(1L, 2L);
        assertThat(TestDb.digest(restore(replica, "restored.db"))).isEqualTo(TestDb.digest(db));
    }

    @Test
    void replicatingARestoredDatabaseNeedsNoSnapshot() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 2000);
        Path replica = dir.resolve("replica");
        stop(start(db, replica, FAST));
        Path restored = restore(replica, "new.db");
        long filesBefore = countFiles(replica);
        DatabaseReplicator r = start(restored, replica, FAST);
        try (Connection c = TestDb.open(restored)) {
            TestDb.insert(c, 3, 100);
        }
        stop(r);
        try (FileReplicaClient client = new FileReplicaClient(replica)) {
            List<LtxFileInfo> files = client.listFiles(0, 0);
            assertThat(files).hasSizeGreaterThan(1);
            long snapshotSize = files.getFirst().size();
            for (LtxFileInfo f : files.subList(1, files.size())) {
                assertThat(f.size()).as("file %s is an increment, not a snapshot", f.fileName()).isLessThan(snapshotSize / 4);
            }
        }
        assertThat(countFiles(replica)).isGreaterThan(filesBefore);
        assertThat(TestDb.digest(restore(replica, "again.db"))).isEqualTo(TestDb.digest(restored));
    }

    @Test
    void aSecondReplicatorWithStaleStateRefusesToInterleave() throws Exception {
        Path a = TestDb.create(dir, "a.db", 4096, 10);
        Files.createDirectories(dir.resolve("b"));
        Path b = TestDb.create(dir.resolve("b"), "a.db", 4096, 10);
        Path replica = dir.resolve("replica");
        DatabaseReplicator rb = start(b, replica, FAST);
        stop(rb);
        DatabaseReplicator ra = start(a, replica, FAST);
        try (Connection c = TestDb.open(a)) {
            TestDb.insert(c, 10, 100);
            ra.syncOnce();
        }
        stop(ra);
        assertThatThrownBy(() -> start(b, replica, FAST))
                .hasMessageContaining("another replicator is probably writing to the same replica");
    }

    @Test
    void idleDatabaseWritesNothing() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        DatabaseReplicator r = start(db, replica, FAST.withCheckpoints(Duration.ofMinutes(1), 20, 121359));
        try (Connection c = TestDb.open(db)) {
            TestDb.insert(c, 200, 1000); // enough frames for a checkpoint
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (r.database().checkpointCount() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        long checkpoints = r.database().checkpointCount();
        assertThat(checkpoints).as("a checkpoint ran").isPositive();
        Thread.sleep(500); // let the upload after the checkpoint land
        long files = countFiles(replica);
        long local = countFiles(r.database().localLtxDir());
        Thread.sleep(2500); // 25 monitor intervals
        assertThat(countFiles(replica)).isEqualTo(files);
        assertThat(countFiles(r.database().localLtxDir())).isEqualTo(local);
        assertThat(r.database().checkpointCount()).as("no checkpoints while idle").isEqualTo(checkpoints);
        stop(r);
    }

    /**
     * A writer at full speed turns notifications off (the loop syncs every SYNC_SPACING); after
     * it stops, they must come back: a lone commit then reaches the replica at once, not after
     * the safety-net look (10 monitor-intervals: 10 s here).
     */
    @Test
    void aLoneCommitAfterABurstReachesTheReplicaAtOnce() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        DatabaseReplicator r = start(db, replica, DatabaseOptions.defaults());
        try (Connection c = TestDb.open(db)) {
            assertThat(r.listening()).as("notifications on at the start").isTrue();
            long burstEnd = System.nanoTime() + Duration.ofMillis(600).toNanos();
            boolean offDuringBurst = false;
            while (System.nanoTime() < burstEnd) {
                TestDb.insert(c, 1, 100);
                offDuringBurst |= !r.listening();
            }
            assertThat(offDuringBurst).as("notifications off while the writer is busy").isTrue();
            Thread.sleep(SyncLoop.BUSY_GAP.toMillis() * 5);
            assertThat(r.listening()).as("notifications back on after the burst").isTrue();
            awaitReplicaAt(r, r.database().txid(), Duration.ofSeconds(5));
            long before = r.replicaPositions().getFirst();
            long committed = System.nanoTime();
            TestDb.insert(c, 1, 100);
            awaitReplicaAt(r, before + 1, Duration.ofSeconds(5));
            long millis = (System.nanoTime() - committed) / 1_000_000;
            assertThat(millis).as("milliseconds from the lone commit to the replica").isLessThan(1000);
        }
        stop(r);
        assertThat(TestDb.digest(restore(replica, "restored.db"))).isEqualTo(TestDb.digest(db));
        txids(replica);
    }

    /** The loop deletes local files once the replica holds them (on a thread of its own). */
    @Test
    void uploadedLocalFilesAreDeletedWhileReplicating() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        DatabaseReplicator r = start(db, replica, FAST);
        try (Connection c = TestDb.open(db)) {
            for (int i = 0; i < 200; i++) {
                TestDb.insert(c, 1, 100);
                Thread.sleep(2);
            }
            awaitReplicaAt(r, r.database().txid(), Duration.ofSeconds(5));
            TestDb.insert(c, 1, 100); // one more round, which prunes what the replica holds now
            awaitReplicaAt(r, r.database().txid(), Duration.ofSeconds(5));
            long files = r.database().txid();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            long local;
            do {
                Thread.sleep(20);
                local = r.database().store().list().size();
            } while (local > 2 && System.nanoTime() < deadline);
            assertThat(files).as("TXIDs written").isGreaterThan(20);
            assertThat(local).as("local L0 files left of %d", files).isLessThanOrEqualTo(2);
        }
        stop(r);
    }

    private static void awaitReplicaAt(DatabaseReplicator r, long txid, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (Long.compareUnsigned(r.replicaPositions().getFirst(), txid) < 0) {
            assertThat(System.nanoTime()).as("replica reached TXID %d within %s (at %d)", txid, timeout, r.replicaPositions().getFirst())
                    .isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    @Test
    void writersKeepGoingWhileTheReplicatorIsKilledAndRestarted() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        AtomicBoolean stopWriting = new AtomicBoolean();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Thread writer = Thread.ofPlatform().start(() -> {
            try (Connection c = TestDb.open(db)) {
                while (!stopWriting.get()) {
                    TestDb.insert(c, 1, 64);
                }
            } catch (Throwable e) {
                errors.add(e);
            }
        });
        for (int i = 0; i < 5; i++) {
            DatabaseReplicator r = start(db, replica, FAST.withCheckpoints(Duration.ofMillis(100), 50, 121359));
            Thread.sleep(150);
            r.close(); // abrupt: no final sync
        }
        stopWriting.set(true);
        assertThat(writer.join(Duration.ofSeconds(60))).as("writer stopped").isTrue();
        DatabaseReplicator r = start(db, replica, FAST);
        stop(r);
        assertThat(errors).isEmpty();
        assertThat(TestDb.digest(restore(replica, "restored.db"))).isEqualTo(TestDb.digest(db));
        txids(replica);
    }

    @Test
    void aBacklogOfLocalFilesGoesOutMergedInOneUpload() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        int syncs = ReplicaUploader.MAX_FILES_PER_UPLOAD + 20;
        try (Database database = Database.open(db, FAST, Clock.systemUTC(), Database.ReplicaState.EMPTY);
                FileReplicaClient client = new FileReplicaClient(replica);
                Connection c = TestDb.open(db)) {
            ReplicaUploader uploader = new ReplicaUploader(client, database.store(), Duration.ZERO, Clock.systemUTC(), 0);
            database.sync();
            uploader.uploadNow();
            long first = database.txid();
            for (int i = 0; i < syncs; i++) {
                TestDb.insert(c, 1, 100 + i);
                database.sync();
            }
            long last = database.txid();
            assertThat(last - first).as("one local file per sync").isEqualTo(syncs);
            uploader.uploadNow();

            List<LtxFileInfo> l0 = client.listFiles(0, 0);
            assertThat(l0).as("the first file, then the backlog in two merged uploads of at most %d files", ReplicaUploader.MAX_FILES_PER_UPLOAD)
                    .extracting(LtxFileInfo::fileName)
                    .containsExactly(io.litestream4j.ltx.TxidRange.fileName(1, first),
                            io.litestream4j.ltx.TxidRange.fileName(first + 1, first + ReplicaUploader.MAX_FILES_PER_UPLOAD),
                            io.litestream4j.ltx.TxidRange.fileName(first + ReplicaUploader.MAX_FILES_PER_UPLOAD + 1, last));
            assertThat(uploader.position()).isEqualTo(last);
            assertThatThrownBy(() -> RestorePlanner.plan(client, OptionalLong.of(first + 5)))
                    .hasMessageContaining("lies inside level 0 file " + l0.get(1).fileName())
                    .hasMessageContaining("the nearest restorable TXIDs are %016x and %016x".formatted(first, first + ReplicaUploader.MAX_FILES_PER_UPLOAD));
            assertThat(countFiles(database.localLtxDir())).as("merge temporaries removed").isEqualTo(syncs + 1);
        }
        assertThat(TestDb.digest(restore(replica, "restored.db"))).isEqualTo(TestDb.digest(db));
    }

    @Test
    void aSyncIntervalSpacesUploadsUnderConstantWrites() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        DatabaseReplicator r = DatabaseReplicator.start(db, FAST,
                List.of(new DatabaseReplicator.Destination(new FileReplicaClient(replica), Duration.ofSeconds(1))), Clock.systemUTC());
        long begin = System.nanoTime();
        try (Connection c = TestDb.open(db)) {
            while (System.nanoTime() - begin < Duration.ofSeconds(3).toNanos()) {
                TestDb.insert(c, 1, 200);
                Thread.sleep(10);
            }
        }
        double seconds = (System.nanoTime() - begin) / 1e9;
        stop(r);
        long localSyncs = r.database().txid();
        List<Long> uploads = txids(replica);
        assertThat(localSyncs).as("the writes made many syncs").isGreaterThan(30);
        // At most one upload per second, plus the start-up upload and the final one at stop.
        assertThat(uploads.size()).as("uploads for %d syncs in %.1f s: %s", localSyncs, seconds, uploads).isLessThanOrEqualTo((int) Math.ceil(seconds) + 2);
        assertThat(TestDb.digest(restore(replica, "restored.db"))).isEqualTo(TestDb.digest(db));
    }

    @Test
    void eachDestinationCompactsOnItsOwnSchedule() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path fast = dir.resolve("fast");
        Path slow = dir.resolve("slow");
        // The database's settings: nothing due for a day. The fast replica: level 1 every second.
        var daily = new io.litestream4j.CompactionSettings(List.of(Duration.ofHours(24)), Duration.ofHours(24),
                Duration.ofHours(24), Duration.ofMinutes(5), true);
        var everySecond = new io.litestream4j.CompactionSettings(List.of(Duration.ofSeconds(1)), Duration.ofHours(24),
                Duration.ofHours(24), Duration.ofMinutes(5), true);
        DatabaseReplicator r = DatabaseReplicator.start(db, FAST, List.of(
                new DatabaseReplicator.Destination(new FileReplicaClient(fast), Duration.ZERO, everySecond),
                new DatabaseReplicator.Destination(new FileReplicaClient(slow), Duration.ZERO)), daily, Clock.systemUTC());
        try (Connection c = TestDb.open(db)) {
            for (int i = 0; i < 5; i++) {
                TestDb.insert(c, 1, 100);
                Thread.sleep(300);
            }
        }
        Thread.sleep(2500);
        stop(r);
        assertThat(countFiles(fast.resolve("ltx").resolve("1"))).as("the fast replica compacted to level 1").isPositive();
        assertThat(countFiles(slow.resolve("ltx").resolve("1"))).as("the other followed the database's daily schedule").isZero();
    }

    private static long countFiles(Path p) throws Exception {
        if (!Files.exists(p)) {
            return 0;
        }
        try (var s = Files.walk(p)) {
            return s.filter(Files::isRegularFile).count();
        }
    }
}
