package io.litestream4j.core;

import io.litestream4j.core.replica.ReplicaHealth;
import io.litestream4j.DatabaseOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.CompactionSettings;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica that holds no restorable chain is healed with a new snapshot, not trusted and not
 * refused: one wiped while replication runs, one added to a database replicated before, one whose
 * snapshot a lifecycle rule removed. Real SQLite databases, real file replicas.
 */
class ReplicaSeedingTest {
    private static final DatabaseOptions FAST = DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(100));

    @TempDir
    Path dir;

    private static DatabaseReplicator.Destination to(Path replica) {
        return new DatabaseReplicator.Destination(new FileReplicaClient(replica), Duration.ZERO);
    }

    /** Restores the newest state of {@code replica} and returns its digest. */
    private String restoredDigest(Path replica, String name) throws Exception {
        Path out = dir.resolve(name);
        try (FileReplicaClient client = new FileReplicaClient(replica)) {
            var plan = RestorePlanner.plan(client, OptionalLong.empty());
            var result = Restorer.restore(client, plan, new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.FULL, true));
            assertThat(result.checksumVerified()).isTrue();
        }
        return TestDb.digest(out);
    }

    /** Whether the replica restores exactly {@code txid}. */
    private static boolean restorableTo(Path replica, long txid) {
        try (FileReplicaClient client = new FileReplicaClient(replica)) {
            return RestorePlanner.plan(client, OptionalLong.empty()).txid() == txid;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Wipes {@code p} while the replicator may still be writing into it (a compaction adds a file
     * behind the walk, retention removes one ahead of it): walks again until nothing is left.
     */
    private static void deleteTree(Path p) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try (Stream<Path> s = Files.walk(p)) {
                for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
                return;
            } catch (java.nio.file.DirectoryNotEmptyException | java.nio.file.NoSuchFileException | java.io.UncheckedIOException raced) {
                if (attempt == 100) {
                    throw new IOException("could not wipe %s in %d attempts while the replicator wrote into it".formatted(p, attempt), raced);
                }
            }
        }
    }

    @Test
    @Timeout(120)
    void aReplicaWipedWhileReplicatingGetsANewSnapshot() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 50);
        Path replica = dir.resolve("replica");
        // Snapshots every 2 s: the replica is listed afresh before each one.
        CompactionSettings compaction = new CompactionSettings(List.of(Duration.ofSeconds(1)), Duration.ofSeconds(2), Duration.ofHours(1),
                Duration.ofMinutes(5), true);
        DatabaseReplicator r = DatabaseReplicator.start(db, FAST, List.of(to(replica)), compaction, Clock.systemUTC());
        try {
            try (Connection c = TestDb.open(db)) {
                TestDb.insert(c, 20, 100);
            }
            r.syncOnce();
            awaitRestorable(r, replica);
            deleteTree(replica);
            try (Connection c = TestDb.open(db)) {
                TestDb.insert(c, 20, 100);
            }
            // Bounded: the snapshot interval (2 s) plus a sync and an upload, with a wide margin for a busy machine.
            awaitRestorable(r, replica);
            try (FileReplicaClient client = new FileReplicaClient(replica)) {
                assertThat(client.listFiles(LtxFileInfo.SNAPSHOT_LEVEL, 0)).as("a new snapshot").isNotEmpty();
            }
            assertThat(restoredDigest(replica, "wiped.db")).isEqualTo(TestDb.digest(db));
            awaitHealthy(r);
        } finally {
            r.stop(Duration.ofSeconds(30));
            r.close();
        }
    }

    @Test
    @Timeout(120)
    void aReplicaAddedToADatabaseReplicatedBeforeIsSeeded() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 50);
        Path first = dir.resolve("first");
        for (int round = 0; round < 3; round++) {
            DatabaseReplicator r = DatabaseReplicator.start(db, FAST, List.of(to(first)), Clock.systemUTC());
            try (Connection c = TestDb.open(db)) {
                TestDb.insert(c, 10, 100);
            }
            assertThat(r.stop(Duration.ofSeconds(30))).isTrue();
            r.close();
        }
        Path second = dir.resolve("second");
        DatabaseReplicator r = DatabaseReplicator.start(db, FAST, List.of(to(first), to(second)), Clock.systemUTC());
        try (Connection c = TestDb.open(db)) {
            TestDb.insert(c, 10, 100);
        }
        assertThat(r.stop(Duration.ofSeconds(30))).as("both replicas caught up").isTrue();
        r.close();
        assertThat(restoredDigest(second, "second.db")).isEqualTo(TestDb.digest(db));
        assertThat(restoredDigest(first, "first.db")).isEqualTo(TestDb.digest(db));

        // A replica whose snapshot was removed (a lifecycle rule) and whose L0 files do not start at 1.
        try (FileReplicaClient client = new FileReplicaClient(second)) {
            client.delete(LtxFileInfo.SNAPSHOT_LEVEL, client.listFiles(LtxFileInfo.SNAPSHOT_LEVEL, 0).stream().map(LtxFileInfo::range).toList());
            client.delete(0, client.listFiles(0, 0).stream().filter(f -> f.minTxid() == 1).map(LtxFileInfo::range).toList());
        }
        assertThat(restorableTo(second, r.database().txid())).isFalse();
        DatabaseReplicator again = DatabaseReplicator.start(db, FAST, List.of(to(first), to(second)), Clock.systemUTC());
        assertThat(again.stop(Duration.ofSeconds(30))).isTrue();
        again.close();
        assertThat(restoredDigest(second, "healed.db")).isEqualTo(TestDb.digest(db));
    }

    @Test
    void healthIsRedUntilTheSnapshotIsWritten() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 5);
        FileReplicaClient client = new FileReplicaClient(dir.resolve("replica"));
        DatabaseReplicator r = DatabaseReplicator.start(db, FAST, List.of(to(dir.resolve("replica"))), Clock.systemUTC());
        r.stop(Duration.ofSeconds(30));
        r.close();
        LocalLtxStore store = new LocalLtxStore(LocalLtxStore.defaultMetaDir(db));
        TxidRange newest = store.list().getLast();
        ReplicaUploader u = new ReplicaUploader(client, store, Duration.ZERO, Clock.systemUTC(), newest.max());
        client.deleteAll();
        u.check(RestorePlanner.listAll(client), newest.max());
        assertThat(u.health().problem(ReplicaHealth.CHAIN)).contains("no restorable chain").contains("wiped");
        assertThat(u.awaitingSeed()).isTrue();
        u.uploadNow();
        assertThat(u.health().problem(ReplicaHealth.CHAIN)).as("nothing to seed from yet").isNotNull();
        u.seedFrom(newest); // the first file, TXID 1, holds every page
        u.uploadNow();
        assertThat(u.health().problem(ReplicaHealth.CHAIN)).isNull();
        assertThat(client.listFiles(LtxFileInfo.SNAPSHOT_LEVEL, 0)).extracting(LtxFileInfo::range).containsExactly(new TxidRange(1, newest.max()));
    }

    private static void awaitRestorable(DatabaseReplicator r, Path replica) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!restorableTo(replica, r.database().txid())) {
            assertThat(System.nanoTime()).as("replica restorable to TXID %d within 60 s", r.database().txid()).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static void awaitHealthy(DatabaseReplicator r) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (r.replicaStatuses().getFirst().lastError() != null) {
            assertThat(System.nanoTime()).as("healthy again: %s", r.replicaStatuses().getFirst().lastError()).isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
