package io.litestream4j.core;

import io.litestream4j.DatabaseOptions;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.CompactionSettings;
import io.litestream4j.core.compaction.ReplicaCompactor;
import io.litestream4j.core.compaction.ReplicaMaintainer;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlan;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.LongStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded random workloads on a real SQLite database: single-transaction inserts, updates,
 * deletes, new and dropped tables, VACUUMs that shrink the file and the application's own
 * checkpoints, replicated with compaction, snapshots and retention on a fake clock. The content
 * digest is recorded at every TXID; then restores at random TXIDs and times must give exactly the
 * recorded content. Rerun one seed with {@code -Dworkload.seed=N}.
 */
@Timeout(300) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class RandomWorkloadTest {
    private static final Instant START = Instant.parse("2026-11-23T00:00:05Z");

    @TempDir
    Path dir;

    /** The content at a TXID and when it was written. */
    private record State(Instant at, String digest) {}

    static LongStream seeds() {
        String fixed = System.getProperty("workload.seed");
        if (fixed != null) {
            return LongStream.of(Long.parseLong(fixed));
        }
        return LongStream.of(1, 2, new Random().nextLong());
    }

    @ParameterizedTest(name = "seed {0}, retention off")
    @MethodSource("seeds")
    void everyTxidRestoresWithoutRetention(long seed) throws Exception {
        CompactionSettings settings = new CompactionSettings(List.of(Duration.ofSeconds(30), Duration.ofMinutes(5)),
                Duration.ofMinutes(20), Duration.ofHours(1), Duration.ofMinutes(5), false);
        Run run = new Run(seed, settings);
        run.workload(220);
        Random random = new Random(seed);
        List<Long> txids = new ArrayList<>(run.states.keySet());
        for (int i = 0; i < 25; i++) {
            long txid = i == 0 ? txids.getLast() : txids.get(random.nextInt(txids.size()));
            run.assertRestoresTxid(txid);
        }
        for (int i = 0; i < 10; i++) {
            run.assertRestoresTime(randomTime(random, run.states.firstEntry().getValue().at(), run.clock.instant()), true);
        }
        assertThat(run.insideMergedUploads).as("seed %d: some uploads merged several files", seed).isNotEmpty();
        for (int i = 0; i < 5; i++) {
            long inside = run.insideMergedUploads.get(random.nextInt(run.insideMergedUploads.size()));
            assertThatThrownBy(() -> RestorePlanner.plan(run.client, OptionalLong.of(inside)))
                    .as("seed %d: TXID %s inside a merged upload", seed, Txid.format(inside))
                    .hasMessageContaining("TXID " + Txid.format(inside) + " lies inside level 0 file")
                    .hasMessageMatching("(?s).*(the nearest restorable TXIDs are|the oldest restorable TXID is) .*");
        }
    }

    @ParameterizedTest(name = "seed {0}, retention on")
    @MethodSource("seeds")
    void everyMomentInTheRetentionWindowRestores(long seed) throws Exception {
        CompactionSettings settings = new CompactionSettings(List.of(Duration.ofSeconds(30), Duration.ofMinutes(5)),
                Duration.ofMinutes(20), Duration.ofMinutes(40), Duration.ofMinutes(5), true);
        Run run = new Run(seed, settings);
        run.workload(260);
        Instant now = run.clock.instant();
        assertThat(run.client.listFiles(0, 0).getFirst().minTxid()).as("seed %d: retention removed old L0 files", seed).isGreaterThan(1);
        assertThat(run.client.listFiles(LtxFileInfo.SNAPSHOT_LEVEL, 0)).as("seed %d: snapshots written", seed).isNotEmpty();
        assertThat(run.client.listFiles(2, 0)).as("seed %d: level 2 written", seed).isNotEmpty();
        Random random = new Random(seed);
        for (int i = 0; i < 15; i++) {
            run.assertRestoresTime(randomTime(random, now.minus(settings.snapshotRetention()), now), false);
        }
        // Upload ends of the last l0-retention minutes are all still there, one L0 file each.
        List<Long> recent = run.states.entrySet().stream()
                .filter(e -> e.getValue().at().isAfter(now.minus(settings.l0Retention())))
                .map(Map.Entry::getKey).toList();
        assertThat(recent).as("seed %d", seed).isNotEmpty();
        for (int i = 0; i < 8; i++) {
            run.assertRestoresTxid(recent.get(random.nextInt(recent.size())));
        }
        // An early TXID is older than the oldest kept snapshot: the error says so and what is left.
        long early = run.states.firstKey() + 1;
        assertThatThrownBy(() -> RestorePlanner.plan(run.client, OptionalLong.of(early)))
                .hasMessageContaining("no snapshot to start from at or before TXID " + Txid.format(early))
                .hasMessageContaining("older files were removed by retention");
    }

    private static Instant randomTime(Random random, Instant from, Instant to) {
        return from.plusMillis((long) (random.nextDouble() * Duration.between(from, to).toMillis()));
    }

    /** One database, its replica, and the record of its content at each TXID. */
    private final class Run {
        final long seed;
        final Random random;
        final FakeClock clock = new FakeClock(START);
        /** The content at every TXID written. */
        final TreeMap<Long, State> written = new TreeMap<>();
        /** The content at every TXID an upload ended at: the restorable ones. */
        final TreeMap<Long, State> states = new TreeMap<>();
        final List<Long> insideMergedUploads = new ArrayList<>();
        final FileReplicaClient client;
        final Path db;
        final Database database;
        final ReplicaUploader uploader;
        final ReplicaMaintainer maintainer;
        int restores;

        Run(long seed, CompactionSettings settings) throws Exception {
            System.out.printf("RandomWorkloadTest seed %d (rerun with -Dworkload.seed=%d)%n", seed, seed);
            this.seed = seed;
            this.random = new Random(seed);
            int pageSize = new int[] {512, 1024, 4096, 8192}[random.nextInt(4)];
            this.db = TestDb.create(dir, "app.db", pageSize, 50);
            this.client = new FileReplicaClient(dir.resolve("replica"));
            DatabaseOptions options = DatabaseOptions.defaults().withCheckpoints(Duration.ofMinutes(1), 200, 4000);
            this.database = Database.open(db, options, clock, Database.ReplicaState.EMPTY);
            this.uploader = new ReplicaUploader(client, database.store(), Duration.ZERO, clock, 0);
            this.maintainer = new ReplicaMaintainer(new ReplicaCompactor(client, dir.resolve("tmp")), settings, clock);
        }

        void workload(int steps) throws Exception {
            try (Connection c = TestDb.open(db)) {
                record(c, false);
                for (int step = 0; step < steps; step++) {
                    if (step == steps / 2) {
                        shrink(c);
                    } else {
                        randomStep(c);
                    }
                    record(c, step == steps - 1);
                    clock.advance(Duration.ofMillis(500 + random.nextInt(40_000)));
                    maintainer.runDue(clock.instant());
                }
            } finally {
                database.close();
            }
            assertThat(written.size()).as("seed %d: TXIDs written", seed).isGreaterThan(steps / 2);
            assertThat(states.size()).as("seed %d: uploads", seed).isGreaterThan(steps / 4);
        }

        /**
         * Syncs, checkpoints if due, records the content at the TXIDs reached, and uploads (a
         * third of the time the files wait for the next round and go out merged with its files).
         */
        private void record(Connection c, boolean last) throws Exception {
            long before = database.txid();
            database.sync();
            database.checkpointIfNeeded();
            database.sync();
            long txid = database.txid();
            String digest = TestDb.digest(c);
            if (!written.isEmpty() && !digest.equals(written.lastEntry().getValue().digest())) {
                assertThat(txid).as("seed %d: a change of content made a new TXID", seed).isNotEqualTo(before);
            }
            State previous = written.get(txid);
            if (previous != null) {
                assertThat(digest).as("seed %d: content at TXID %s did not change without a new TXID", seed, Txid.format(txid))
                        .isEqualTo(previous.digest());
            } else {
                // Every TXID written in this round holds the same content (a checkpoint's tail copy, a snapshot).
                for (long t = before + 1; t <= txid; t++) {
                    written.put(t, new State(clock.instant(), digest));
                }
            }
            if (!last && random.nextInt(3) == 0) {
                return;
            }
            long from = uploader.position();
            uploader.uploadNow();
            long end = uploader.position();
            assertThat(end).as("seed %d: the upload reached the local TXID", seed).isEqualTo(txid);
            // Only the end of an uploaded file is restorable; TXIDs inside a merged file are not.
            // One upload may send several files (a snapshot is never merged with what follows it).
            for (LtxFileInfo f : client.listFiles(0, from + 1)) {
                if (Long.compareUnsigned(f.minTxid(), from) <= 0) {
                    continue;
                }
                states.put(f.maxTxid(), written.get(f.maxTxid()));
                for (long t = f.minTxid(); t < f.maxTxid(); t++) {
                    insideMergedUploads.add(t);
                }
            }
        }

        private void randomStep(Connection c) throws SQLException {
            int op = random.nextInt(100);
            if (op < 40) {
                TestDb.insert(c, 1 + random.nextInt(20), 50 + random.nextInt(3000));
            } else if (op < 60) {
                TestDb.exec(c, "UPDATE t SET v = randomblob(%d) WHERE id %% %d = %d".formatted(10 + random.nextInt(2000), 3 + random.nextInt(10),
                        random.nextInt(3)));
            } else if (op < 75) {
                TestDb.exec(c, "DELETE FROM t WHERE id IN (SELECT id FROM t ORDER BY random() LIMIT %d)".formatted(1 + random.nextInt(30)));
            } else if (op < 82) {
                String table = "extra" + random.nextInt(3);
                if (random.nextBoolean()) {
                    TestDb.exec(c, "CREATE TABLE IF NOT EXISTS %s AS SELECT randomblob(%d) AS b FROM t LIMIT 40".formatted(table, 100 + random.nextInt(4000)));
                } else {
                    TestDb.exec(c, "DROP TABLE IF EXISTS " + table);
                }
            } else if (op < 88) {
                TestDb.exec(c, "VACUUM");
            } else if (op < 95) {
                String mode = new String[] {"PASSIVE", "FULL", "RESTART", "TRUNCATE"}[random.nextInt(4)];
                // The replicator's read transaction holds FULL, RESTART and TRUNCATE back; don't wait 5 s for it.
                TestDb.exec(c, "PRAGMA busy_timeout = 50");
                try {
                    TestDb.exec(c, "PRAGMA wal_checkpoint(" + mode + ")");
                } catch (SQLException busy) {
                    // SQLITE_BUSY for the checkpoint is allowed; the application's writes never see it
                } finally {
                    TestDb.exec(c, "PRAGMA busy_timeout = 5000");
                }
            }
            // else: idle
        }

        /** Deletes most rows and VACUUMs: the database file shrinks. */
        private void shrink(Connection c) throws SQLException {
            long before = TestDb.queryLong(c, "PRAGMA page_count");
            TestDb.exec(c, "DELETE FROM t WHERE id % 5 <> 0", "VACUUM");
            assertThat(TestDb.queryLong(c, "PRAGMA page_count")).as("seed %d: the database shrank", seed).isLessThan(before);
        }

        void assertRestoresTxid(long txid) throws IOException, SQLException {
            RestorePlan plan = RestorePlanner.plan(client, OptionalLong.of(txid));
            assertRestored(plan, "TXID " + Txid.format(txid));
        }

        void assertRestoresTime(Instant time, boolean expectNewestBefore) throws IOException, SQLException {
            RestorePlan plan = RestorePlanner.planAt(client, time);
            State state = states.get(plan.txid());
            assertThat(state.at()).as("seed %d: restore at %s chose TXID %s, written at or before it", seed, time, Txid.format(plan.txid()))
                    .isBeforeOrEqualTo(time);
            if (expectNewestBefore) {
                long newest = states.entrySet().stream().filter(e -> !e.getValue().at().isAfter(time)).mapToLong(Map.Entry::getKey).max().orElseThrow();
                assertThat(plan.txid()).as("seed %d: the newest TXID at %s", seed, time).isEqualTo(newest);
            }
            assertRestored(plan, "time " + time);
        }

        private void assertRestored(RestorePlan plan, String what) throws IOException, SQLException {
            Path out = dir.resolve("restore-" + restores++ + ".db");
            var result = Restorer.restore(client, plan,
                    new RestoreOptions(out, OptionalLong.of(plan.txid()), RestoreOptions.IntegrityCheck.QUICK, false), 1 + random.nextInt(8));
            assertThat(result.checksumVerified()).as("seed %d: %s checksum verified", seed, what).isTrue();
            assertThat(TestDb.digest(out)).as("seed %d: content restored for %s (TXID %s, plan %s)", seed, what, Txid.format(plan.txid()),
                    plan.files().stream().map(f -> f.level() + ":" + f.fileName()).toList()).isEqualTo(states.get(plan.txid()).digest());
            java.nio.file.Files.delete(out);
        }
    }
}
