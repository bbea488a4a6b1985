package io.litestream4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.CompactionSettings;
import io.litestream4j.DatabaseOptions;
import io.litestream4j.core.compaction.ReplicaCompactor;
import io.litestream4j.core.replica.AgeCipher;
import io.litestream4j.core.replica.AgeKeys;
import io.litestream4j.core.replica.AgeReplicaClient;
import io.litestream4j.core.replica.AgeTestKeys;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.WriteOnly;
import io.litestream4j.core.restore.ReplicaVerifier;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import io.litestream4j.ltx.LtxFileInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica encrypted to age recipients with no identity (Litestream 0.3 allowed it: the key that
 * decrypts is kept off the server) is replicated to without ever being read: its position comes
 * from names, its snapshots from the local database, nothing is compacted; and everything that
 * must read it (restore, verify, compaction) fails naming the replica and the missing identities.
 * A client with the identity restores exactly what was written. Real SQLite, real file replicas.
 */
class WriteOnlyReplicaTest {
    private static final DatabaseOptions FAST = DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(100));
    /** Level 1 every second (never run here), a snapshot every 2 s, retention a day. */
    private static final CompactionSettings QUICK = new CompactionSettings(List.of(Duration.ofSeconds(1)), Duration.ofSeconds(2),
            Duration.ofDays(1), Duration.ofMinutes(5), true);

    @TempDir
    Path dir;

    private static ReplicaClient writeOnly(Path replica) {
        return new AgeReplicaClient(new FileReplicaClient(replica), new AgeKeys(List.of(), List.of(AgeTestKeys.RECIPIENT)));
    }

    private static ReplicaClient readable(Path replica) {
        return new AgeReplicaClient(new FileReplicaClient(replica), new AgeKeys(List.of(AgeTestKeys.IDENTITY), List.of(AgeTestKeys.RECIPIENT)));
    }

    private String restoredDigest(Path replica, String name) throws Exception {
        Path out = dir.resolve(name);
        try (ReplicaClient client = readable(replica)) {
            var plan = RestorePlanner.plan(client, OptionalLong.empty());
            var result = Restorer.restore(client, plan, new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.FULL, true));
            assertThat(result.checksumVerified()).isTrue();
        }
        return TestDb.digest(out);
    }

    private static List<Path> files(Path replica) throws Exception {
        try (Stream<Path> s = Files.walk(replica.resolve("ltx"))) {
            return s.filter(Files::isRegularFile).sorted(Comparator.naturalOrder()).toList();
        }
    }

    @Test
    @Timeout(120)
    void replicatesSnapshotsFromLocalAndNeverReadsTheReplica() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 50);
        Path replica = dir.resolve("replica");
        DatabaseReplicator r;
        try (LogCapture log = new LogCapture(ReplicationStart.class.getName())) {
            r = DatabaseReplicator.start(db, FAST, List.of(new DatabaseReplicator.Destination(writeOnly(replica), Duration.ZERO)), QUICK,
                    Clock.systemUTC());
            assertThat(log.messages()).as("the start-up warning").anySatisfy(m -> assertThat(m).startsWith("WARNING").contains("file://" + replica)
                    .contains("write-only").contains("no identities").contains("restore").contains("compaction").contains("snapshot"));
        }
        try {
            long started = r.database().txid();
            for (int i = 0; i < 5; i++) {
                try (Connection c = TestDb.open(db)) {
                    TestDb.insert(c, 20, 100);
                }
                r.syncOnce();
            }
            // The scheduled snapshot (every 2 s) is taken from the local database: a new TXID.
            // Bounded: two snapshot intervals plus a sync, with a wide margin for a busy machine.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (new FileReplicaClient(replica).listFiles(LtxFileInfo.SNAPSHOT_LEVEL, 0).stream()
                    .noneMatch(f -> Long.compareUnsigned(f.maxTxid(), started + 5) > 0)) {
                assertThat(System.nanoTime()).as("a snapshot from the local database within 60 s").isLessThan(deadline);
                Thread.sleep(100);
            }
            try (Connection c = TestDb.open(db)) {
                TestDb.insert(c, 20, 100);
            }
            assertThat(r.stop(Duration.ofSeconds(30))).isTrue();
            assertThat(r.replicaStatuses().getFirst().lastError()).as("a write-only replica is healthy").isNull();
        } finally {
            r.close();
        }
        FileReplicaClient raw = new FileReplicaClient(replica);
        for (int level = 1; level < LtxFileInfo.SNAPSHOT_LEVEL; level++) {
            assertThat(raw.listFiles(level, 0)).as("level %d: nothing compacted", level).isEmpty();
        }
        for (Path f : files(replica)) {
            assertThat(AgeCipher.isAgeFile(Files.readAllBytes(f))).as("%s is encrypted", f).isTrue();
        }
        assertThat(restoredDigest(replica, "restored.db")).isEqualTo(TestDb.digest(db));

        // Everything that reads the replica says why it cannot.
        try (ReplicaClient client = writeOnly(replica)) {
            assertThat(WriteOnly.of(client)).isPresent();
            assertThat(WriteOnly.of(readable(replica))).isEmpty();
            assertThatThrownBy(() -> RestorePlanner.plan(client, OptionalLong.empty())).hasMessageContaining("file://" + replica)
                    .hasMessageContaining("restore").hasMessageContaining("no identities");
            assertThatThrownBy(() -> RestorePlanner.planAt(client, Instant.now())).hasMessageContaining("restore").hasMessageContaining("no identities");
            assertThatThrownBy(() -> ReplicaVerifier.verify(client, dir)).hasMessageContaining("verify").hasMessageContaining("no identities");
            ReplicaCompactor compactor = new ReplicaCompactor(client, dir.resolve("tmp"));
            assertThatThrownBy(() -> compactor.compact(1)).hasMessageContaining("compaction").hasMessageContaining("no identities");
            assertThatThrownBy(compactor::snapshot).hasMessageContaining("snapshot").hasMessageContaining("no identities");
            assertThat(client.listFiles(0, 0)).as("listing still works").isNotEmpty();
        }
    }

    /** Starts replicating {@code db} to the write-only {@code replica}, writes, stops (everything uploaded); returns the TXID reached. */
    private static long writeAndStop(Path db, Path replica) throws Exception {
        DatabaseReplicator r = DatabaseReplicator.start(db, FAST, List.of(new DatabaseReplicator.Destination(writeOnly(replica), Duration.ZERO)),
                Clock.systemUTC());
        try {
            try (Connection c = TestDb.open(db)) {
                TestDb.insert(c, 20, 100);
            }
            assertThat(r.stop(Duration.ofSeconds(30))).isTrue();
            return r.database().txid();
        } finally {
            r.close();
        }
    }

    @Test
    @Timeout(120)
    void aRestartWithoutLocalStateUploadsASnapshotInsteadOfReadingTheReplica() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 50);
        Path replica = dir.resolve("replica");
        long before = writeAndStop(db, replica);

        // With local state: resumed from the local files and the replica's names, no snapshot.
        long resumedTxid = writeAndStop(db, replica);
        assertThat(Long.compareUnsigned(resumedTxid, before)).isPositive();
        assertThat(restoredDigest(replica, "resumed.db")).isEqualTo(TestDb.digest(db));

        // Without local state: the checksum after the replica's newest TXID is in a file we cannot
        // open, so the database cannot be matched against it: a full snapshot continues the sequence.
        try (Stream<Path> s = Files.walk(LocalLtxStore.defaultMetaDir(db))) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        assertThat(Long.compareUnsigned(writeAndStop(db, replica), resumedTxid)).as("the TXID sequence continues").isPositive();
        assertThat(new FileReplicaClient(replica).listFiles(0, resumedTxid + 1).getFirst().minTxid()).isEqualTo(resumedTxid + 1);
        assertThat(restoredDigest(replica, "fresh.db")).isEqualTo(TestDb.digest(db));
    }
}
