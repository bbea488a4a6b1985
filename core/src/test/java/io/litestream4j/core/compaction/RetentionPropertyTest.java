package io.litestream4j.core.compaction;

import io.litestream4j.CompactionSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.litestream4j.core.FakeClock;
import io.litestream4j.core.replica.MemoryReplicaClient;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlan;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import io.litestream4j.ltx.LtxFileInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention against random histories: random settings, writes at random moments with pauses,
 * compactions and snapshots on their schedules plus forced snapshots and retention runs (as
 * {@code replicate -once -force-snapshot -enforce-retention} does), all on a fake clock. After
 * every retention run, a point-in-time restore of every moment of the window where the state
 * changes must work and give a state no older than the one two level-1 intervals earlier (the
 * promised granularity once L0 files are gone) and no newer than the one at that moment.
 */
class RetentionPropertyTest {
    private static final Instant START = Instant.parse("2026-11-23T00:00:05Z");

    @TempDir
    Path dir;

    @Test
    @Timeout(300)
    void everyMomentOfTheRetentionWindowStaysRestorable() throws Exception {
        for (long seed = 1; seed <= 6; seed++) {
            runHistory(seed);
        }
    }

    private void runHistory(long seed) throws Exception {
        Random random = new Random(seed);
        FakeClock clock = new FakeClock(START);
        MemoryReplicaClient client = new MemoryReplicaClient("memory://replica-" + seed);
        ReplicaMaintainerTest.Writer w = new ReplicaMaintainerTest.Writer(client, seed);
        Duration l1 = Duration.ofSeconds(5 + random.nextInt(36));
        CompactionSettings settings = new CompactionSettings(List.of(l1, l1.multipliedBy(2 + random.nextInt(9))),
                Duration.ofMinutes(1 + random.nextInt(20)), Duration.ofMinutes(5 + random.nextInt(56)), Duration.ofSeconds(random.nextInt(301)), true);
        String context = "seed %d, %s".formatted(seed, settings);
        ReplicaCompactor compactor = new ReplicaCompactor(client, dir.resolve("tmp"));
        ReplicaMaintainer maintainer = new ReplicaMaintainer(compactor, settings, clock);
        int checks = 0;
        for (int step = 0; step < 300; step++) {
            if (random.nextInt(10) < 8) {
                w.write(clock.instant());
            }
            long pauseMillis = random.nextInt(50) == 0 ? random.nextLong(600_000) : 200 + random.nextLong(l1.toMillis() * 3 / 2);
            clock.advance(Duration.ofMillis(pauseMillis));
            maintainer.runDue(clock.instant());
            if (random.nextInt(60) == 0) {
                compactor.snapshot();
                compactor.enforceRetention(clock.instant(), settings);
            }
            if (step % 25 == 24) {
                checkWindow(client, w, settings, clock.instant(), context + ", step " + step, checks++ % 4 == 0);
            }
        }
        // Not vacuous: retention did delete, in every level it is allowed to.
        assertThat(client.listFiles(0, 0).size()).as(context + ": L0 files left of " + w.txid).isLessThan((int) w.txid);
        if (Duration.between(START, clock.instant()).compareTo(settings.snapshotRetention().plus(settings.snapshotInterval()).multipliedBy(2)) > 0) {
            assertThat(client.listFiles(1, 0).getFirst().minTxid()).as(context + ": the oldest level-1 files were deleted").isGreaterThan(1);
        }
    }

    /** Every moment of the window where the truth or the replica's answer may change restores within bounds. */
    private void checkWindow(MemoryReplicaClient client, ReplicaMaintainerTest.Writer w, CompactionSettings settings, Instant now, String context,
            boolean applyOne) throws IOException {
        Instant windowStart = now.minus(settings.snapshotRetention());
        Duration granularity = settings.interval(1).multipliedBy(2);
        TreeSet<Instant> moments = new TreeSet<>();
        moments.add(windowStart);
        for (Instant t : w.writtenAt) {
            for (Instant m : List.of(t, t.plus(granularity), t.minusMillis(1), t.plus(granularity).minusMillis(1))) {
                if (!m.isBefore(windowStart) && !m.isAfter(now)) {
                    moments.add(m);
                }
            }
        }
        List<LtxFileInfo> files = RestorePlanner.listAll(client);
        List<Instant> restored = new ArrayList<>();
        for (Instant m : moments) {
            long atLeast = w.txidAt(m.minus(granularity));
            long atMost = w.txidAt(m);
            if (atLeast == 0) {
                continue; // nothing was written that long before m
            }
            RestorePlan plan;
            try {
                plan = RestorePlanner.planAt(client.location(), files, m);
            } catch (IOException e) {
                fail("%s: moment %s (window %s to %s) is not restorable: %s; files: %s".formatted(context, m, windowStart, now, e.getMessage(),
                        files.stream().map(f -> f.level() + "/" + f.fileName() + "@" + f.createdAt()).toList()));
                return;
            }
            assertThat(plan.txid()).as("%s: TXID restored for %s", context, m).isBetween(atLeast, atMost);
            restored.add(m);
        }
        if (applyOne && !restored.isEmpty()) {
            // The plans are real: apply the oldest moment's (the one most exposed to retention).
            Instant m = restored.getFirst();
            RestorePlan plan = RestorePlanner.planAt(client, m);
            Path out = dir.resolve("restored-" + Math.abs(context.hashCode()) + "-" + m.toEpochMilli() + ".db");
            var result = Restorer.restore(client, plan, new RestoreOptions(out, OptionalLong.of(plan.txid()), RestoreOptions.IntegrityCheck.NONE, false));
            assertThat(result.checksumVerified()).as(context).isTrue();
            assertThat(plan.files().getFirst().level() == LtxFileInfo.SNAPSHOT_LEVEL || plan.files().getFirst().minTxid() == 1).isTrue();
        }
    }
}
