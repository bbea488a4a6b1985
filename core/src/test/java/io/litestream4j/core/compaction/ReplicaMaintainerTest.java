package io.litestream4j.core.compaction;

import io.litestream4j.CompactionSettings;
import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.FakeClock;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.ForwardingClient;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlan;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import io.litestream4j.ltx.Checksums;
import io.litestream4j.ltx.DatabaseChecksum;
import io.litestream4j.ltx.LtxEncoder;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.TxidRange;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Timeout;

/**
 * Schedules and retention on a fake clock, against a replica of synthetic L0 files (a database of
 * 8 pages of 512 bytes; each TXID rewrites one page), with no sleeping.
 */
@Timeout(300) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class ReplicaMaintainerTest {
    private static final int PAGE_SIZE = 512;
    private static final Instant START = Instant.parse("2026-11-23T00:00:05Z");

    @TempDir
    Path dir;

    /** Writes L0 files as a replicator would, keeping a model of the database and when each TXID was written. */
    static final class Writer {
        final ReplicaClient client;
        final TreeMap<Integer, byte[]> db = new TreeMap<>();
        final Random random;
        /** The time TXID {@code i + 1} was written. */
        final List<Instant> writtenAt = new java.util.ArrayList<>();
        long txid;

        Writer(ReplicaClient client) {
            this(client, 7);
        }

        Writer(ReplicaClient client, long seed) {
            this.client = client;
            this.random = new Random(seed);
        }

        /** The TXID current at {@code moment}: the last one written at or before it, 0 if none. */
        long txidAt(Instant moment) {
            long t = 0;
            for (int i = 0; i < writtenAt.size() && !writtenAt.get(i).isAfter(moment); i++) {
                t = i + 1;
            }
            return t;
        }

        long checksum() {
            DatabaseChecksum sum = new DatabaseChecksum();
            db.forEach((pgno, data) -> sum.add(Checksums.page(pgno, data)));
            return sum.value();
        }

        void write(Instant at) throws IOException {
            long pre = checksum();
            TreeMap<Integer, byte[]> changed = new TreeMap<>();
            if (txid == 0) {
                for (int pgno = 1; pgno <= 8; pgno++) {
                    changed.put(pgno, page());
                }
            } else {
                changed.put(1 + random.nextInt(8), page());
            }
            db.putAll(changed);
            long next = txid + 1;
            LtxHeader h = LtxHeader.of(PAGE_SIZE, 8, next, next, at.toEpochMilli(), next == 1 ? 0 : pre);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            LtxEncoder enc = new LtxEncoder(out, h, "l0");
            for (var e : changed.entrySet()) {
                enc.writePage(e.getKey(), e.getValue());
            }
            enc.finish(checksum());
            client.write(0, new TxidRange(next, next), new ByteArrayInputStream(out.toByteArray()), out.size(), at);
            txid = next;
            writtenAt.add(at);
        }

        private byte[] page() {
            byte[] b = new byte[PAGE_SIZE];
            random.nextBytes(b);
            return b;
        }
    }

    private static List<LtxFileInfo> level(ReplicaClient c, int level) throws IOException {
        return c.listFiles(level, 0);
    }

    @Test
    void compactsOnScheduleAndPrunesL0AfterItsRetention() throws Exception {
        FakeClock clock = new FakeClock(START);
        FileReplicaClient client = new FileReplicaClient(dir.resolve("replica"));
        Writer w = new Writer(client);
        ReplicaCompactor compactor = new ReplicaCompactor(client, dir.resolve("tmp"));
        ReplicaMaintainer m = new ReplicaMaintainer(compactor, CompactionSettings.defaults(), clock);

        // One write a second for 20 s: no 30 s boundary yet, nothing compacted.
        for (int i = 0; i < 20; i++) {
            w.write(clock.instant());
            clock.advance(Duration.ofSeconds(1));
            m.runDue(clock.instant());
        }
        assertThat(level(client, 1)).isEmpty();

        // Cross :30: one level-1 file covering everything so far.
        clock.advance(Duration.ofSeconds(6));
        m.runDue(clock.instant());
        assertThat(level(client, 1)).extracting(f -> f.range().toString()).containsExactly("0000000000000001-0000000000000014");

        // Ten more minutes of writes every 10 s.
        for (int i = 0; i < 60; i++) {
            w.write(clock.instant());
            clock.advance(Duration.ofSeconds(10));
            m.runDue(clock.instant());
        }
        List<LtxFileInfo> l1 = level(client, 1);
        List<LtxFileInfo> l2 = level(client, 2);
        assertThat(l1.size()).isGreaterThan(15);
        assertThat(l2).isNotEmpty();
        // Levels are contiguous chains.
        for (int i = 1; i < l1.size(); i++) {
            assertThat(l1.get(i).minTxid()).isEqualTo(l1.get(i - 1).maxTxid() + 1);
        }
        // L0 files older than 5 minutes are gone up to the end of a level-1 file (at most one
        // level-1 interval more stays), so the L0 files left continue the level-1 chain.
        Instant cutoff = clock.instant().minus(Duration.ofMinutes(5)).minus(CompactionSettings.DEFAULT_RETENTION_CHECK_INTERVAL)
                .minus(Duration.ofSeconds(30));
        for (LtxFileInfo f : level(client, 0)) {
            assertThat(f.createdAt()).isAfterOrEqualTo(cutoff);
        }
        long firstL0 = level(client, 0).getFirst().minTxid();
        assertThat(firstL0).isGreaterThan(1);
        assertThat(l1).as("a level-1 file ends where L0 begins").anyMatch(f -> f.maxTxid() == firstL0 - 1);

        // Everything still restores to the newest state, through the levels.
        Path out = dir.resolve("out.db");
        RestorePlan plan = RestorePlanner.plan(client, OptionalLong.empty());
        assertThat(plan.txid()).isEqualTo(w.txid);
        assertThat(plan.files().stream().anyMatch(f -> f.level() > 0)).isTrue();
        var result = Restorer.restore(client, plan, new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.NONE, false));
        assertThat(result.checksumVerified()).isTrue();
        byte[] restored = Files.readAllBytes(out);
        for (var e : w.db.entrySet()) {
            assertThat(java.util.Arrays.copyOfRange(restored, (e.getKey() - 1) * PAGE_SIZE, e.getKey() * PAGE_SIZE)).isEqualTo(e.getValue());
        }
    }

    @Test
    void snapshotsAndTheirRetentionKeepEveryMomentOfTheWindowRestorable() throws Exception {
        FakeClock clock = new FakeClock(START);
        FileReplicaClient client = new FileReplicaClient(dir.resolve("replica"));
        Writer w = new Writer(client);
        CompactionSettings settings = new CompactionSettings(List.of(Duration.ofSeconds(30), Duration.ofMinutes(5)),
                Duration.ofMinutes(20), Duration.ofHours(1), Duration.ofMinutes(5), true);
        ReplicaMaintainer m = new ReplicaMaintainer(new ReplicaCompactor(client, dir.resolve("tmp")), settings, clock);
        for (int i = 0; i < 3 * 60 * 2; i++) { // three hours, a write every 30 s
            w.write(clock.instant());
            clock.advance(Duration.ofSeconds(30));
            m.runDue(clock.instant());
        }
        List<LtxFileInfo> snapshots = level(client, 9);
        assertThat(snapshots).isNotEmpty();
        assertThat(snapshots).allMatch(f -> f.minTxid() == 1);
        // Snapshots every 20 minutes, kept one hour, plus the newest one at or before the window start.
        Instant windowStart = clock.instant().minus(Duration.ofHours(1));
        assertThat(snapshots.stream().filter(f -> !f.createdAt().isAfter(windowStart)).count()).isEqualTo(1);
        assertThat(snapshots.size()).isBetween(3, 5);
        // Any moment in the window restores (the plan exists and starts at a kept snapshot).
        for (int minutes = 0; minutes <= 60; minutes += 7) {
            Instant t = windowStart.plus(Duration.ofMinutes(minutes));
            RestorePlan p = RestorePlanner.planAt(client, t);
            assertThat(p.files().getFirst().minTxid()).isEqualTo(1);
        }
        // Files of levels 1 and 2 that end before the oldest kept snapshot were deleted.
        long oldestKept = snapshots.getFirst().maxTxid();
        assertThat(level(client, 1)).allMatch(f -> f.maxTxid() > oldestKept);
        assertThat(level(client, 2)).allMatch(f -> f.maxTxid() > oldestKept);
    }

    @Test
    void aRunLongerThanOneMergeIsMergedInStages() throws Exception {
        FakeClock clock = new FakeClock(START);
        FileReplicaClient client = new FileReplicaClient(dir.resolve("replica"));
        Writer w = new Writer(client);
        int files = ReplicaCompactor.FAN_IN * 2 + 17; // three partial merges, then one of the partials
        for (int i = 0; i < files; i++) {
            w.write(clock.instant());
            clock.advance(Duration.ofSeconds(1));
        }
        ReplicaCompactor compactor = new ReplicaCompactor(client, dir.resolve("tmp"));
        LtxFileInfo merged = compactor.compact(1).orElseThrow();
        assertThat(merged.range()).isEqualTo(new TxidRange(1, files));
        assertThat(merged.createdAt()).as("the last input's time").isEqualTo(clock.instant().minusSeconds(1));
        try (var tmp = Files.list(dir.resolve("tmp"))) {
            assertThat(tmp.toList()).as("no temporary file left").isEmpty();
        }
        // Restoring from the level-1 file alone gives the model's pages.
        RestorePlan plan = RestorePlanner.plan("r", List.of(merged), 0, OptionalLong.empty());
        Path out = dir.resolve("merged.db");
        var result = Restorer.restore(client, plan, new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.NONE, false));
        assertThat(result.checksumVerified()).isTrue();
        byte[] restored = Files.readAllBytes(out);
        for (var e : w.db.entrySet()) {
            assertThat(java.util.Arrays.copyOfRange(restored, (e.getKey() - 1) * PAGE_SIZE, e.getKey() * PAGE_SIZE)).isEqualTo(e.getValue());
        }
    }

    @Test
    void aRestoreRunningWhileRetentionDeletesItsFilesStillCompletes() throws Exception {
        FakeClock clock = new FakeClock(START);
        FileReplicaClient files = new FileReplicaClient(dir.resolve("replica"));
        Writer w = new Writer(files);
        ReplicaCompactor compactor = new ReplicaCompactor(files, dir.resolve("tmp"));
        for (int i = 0; i < 40; i++) {
            w.write(clock.instant());
            clock.advance(Duration.ofSeconds(1));
        }
        compactor.compact(1);
        // The plan is made while the L0 files are the newest way through...
        RestorePlan plan = RestorePlanner.plan("r", RestorePlanner.listAll(files).stream().filter(f -> f.level() == 0).toList(), 0,
                OptionalLong.empty());
        assertThat(plan.files()).hasSize(40);
        // ...and retention deletes them after the restore has started.
        Instant later = clock.instant().plus(Duration.ofHours(1));
        ReplicaClient racing = new ForwardingClient(files) {
            int opens;

            @Override
            public InputStream open(int level, TxidRange range) throws IOException {
                if (++opens == 3) {
                    compactor.enforceRetention(later, CompactionSettings.defaults());
                }
                return super.open(level, range);
            }
        };
        Path out = dir.resolve("out.db");
        var result = Restorer.restore(racing, plan, new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.NONE, false), 1);
        assertThat(level(files, 0)).as("retention really ran").hasSizeLessThan(40);
        assertThat(result.txid()).isEqualTo(40);
        assertThat(result.checksumVerified()).isTrue();
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aStopDuringACompactionIsNotAFailure() throws Exception {
        FakeClock clock = new FakeClock(START);
        FileReplicaClient files = new FileReplicaClient(dir.resolve("replica"));
        Writer w = new Writer(files);
        for (int i = 0; i < 5; i++) {
            w.write(clock.instant());
        }
        java.util.concurrent.CountDownLatch downloading = new java.util.concurrent.CountDownLatch(1);
        ReplicaClient slow = new ForwardingClient(files) {
            @Override
            public InputStream open(int level, TxidRange range) throws IOException {
                downloading.countDown();
                try {
                    Thread.sleep(60_000); // a download that is still running when the stop comes
                } catch (InterruptedException e) {
                    throw new java.nio.channels.ClosedByInterruptException();
                }
                return super.open(level, range);
            }
        };
        io.litestream4j.core.replica.ReplicaHealth health = new io.litestream4j.core.replica.ReplicaHealth();
        ReplicaMaintainer m = new ReplicaMaintainer(new ReplicaCompactor(slow, dir.resolve("tmp")), CompactionSettings.defaults(), clock, health);
        clock.advance(Duration.ofMinutes(1)); // level 1 is due at once
        m.start();
        assertThat(downloading.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("the compaction started").isTrue();
        m.close();
        assertThat(health.summary()).as("a stop is not a failure").isNull();
    }

    /**
     * A round that falls due while databases start (a {@link MaintenanceHold} is held) runs when
     * the hold is let go, not beside the starts.
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aRoundDueWhileDatabasesStartRunsWhenTheStartEnds() throws Exception {
        FakeClock clock = new FakeClock(START);
        FileReplicaClient files = new FileReplicaClient(dir.resolve("replica"));
        Writer w = new Writer(files);
        for (int i = 0; i < 3; i++) {
            w.write(clock.instant());
        }
        ReplicaMaintainer m = new ReplicaMaintainer(new ReplicaCompactor(files, dir.resolve("tmp")), CompactionSettings.defaults(), clock,
                new io.litestream4j.core.replica.ReplicaHealth());
        clock.advance(Duration.ofMinutes(1)); // level 1 is due at once
        try {
            try (MaintenanceHold hold = MaintenanceHold.take()) {
                m.start();
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (MaintenanceHold.waitingCount() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertThat(MaintenanceHold.waitingCount()).as("rounds waiting for the hold").isEqualTo(1);
                assertThat(level(files, 1)).as("level 1 while the hold is held").isEmpty();
            }
            assertThat(MaintenanceHold.waitingCount()).isZero();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (level(files, 1).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(level(files, 1)).as("level 1 once the hold is let go").hasSize(1);
        } finally {
            m.close();
        }
    }
}
