package io.litestream4j.core.compaction;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.CompactionSettings;
import io.litestream4j.core.FakeClock;
import io.litestream4j.core.replica.CachingReplicaClient;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.ForwardingClient;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rounds passed over while a replica is idle ({@link ReplicaMaintainer#passIdleRound}) change
 * nothing: two replicas get the same writes at the same (fake) times, one maintainer runs every
 * due round, the other passes over the rounds it judges idle, and after every step both replicas
 * hold the same files. Intervals that do not divide each other (level 2 every 70 s, retention
 * every 20 s) and retention cutoffs (L0 files after 5 min, snapshots after 2 h) are crossed while
 * idle.
 */
@Timeout(300) // a hang, not a slow run: the test takes seconds
class IdleRoundsTest {
    private static final Instant START = Instant.parse("2026-11-23T00:00:05Z");
    private static final CompactionSettings SETTINGS = new CompactionSettings(List.of(Duration.ofSeconds(30), Duration.ofSeconds(70)),
            Duration.ofMinutes(40), Duration.ofHours(2), Duration.ofMinutes(5), true, Duration.ofSeconds(20));

    @TempDir
    Path dir;

    @Test
    void passingIdleRoundsOverLeavesTheReplicaAsRunningThemWould() throws Exception {
        FakeClock clock = new FakeClock(START);
        FileReplicaClient filesA = new FileReplicaClient(dir.resolve("a"));
        FileReplicaClient filesB = new FileReplicaClient(dir.resolve("b"));
        AtomicLong requestsB = new AtomicLong();
        CachingReplicaClient cacheB = new CachingReplicaClient(counting(filesB, requestsB));
        // A: no listing cache, so no change count: every due task runs (the reference).
        ReplicaMaintainerTest.Writer writerA = new ReplicaMaintainerTest.Writer(filesA, 11);
        ReplicaMaintainerTest.Writer writerB = new ReplicaMaintainerTest.Writer(cacheB, 11);
        ReplicaMaintainer everyRound = new ReplicaMaintainer(new ReplicaCompactor(filesA, dir.resolve("tmpA")), SETTINGS, clock);
        ReplicaMaintainer passing = new ReplicaMaintainer(new ReplicaCompactor(cacheB, dir.resolve("tmpB")), SETTINGS, clock);
        Random random = new Random(5);
        int due = 0;
        int passed = 0;
        // Three hours in steps of 10 s: writes in bursts during the first 40 minutes of each hour.
        for (int step = 0; step < 3 * 360; step++) {
            Instant now = clock.instant();
            long minute = Duration.between(START, now).toMinutes() % 60;
            if (minute < 40 && random.nextInt(10) < 3) {
                for (int i = random.nextInt(3); i >= 0; i--) {
                    writerA.write(now);
                    writerB.write(now);
                }
            }
            everyRound.runDue(now);
            if (!now.isBefore(passing.nextDue())) {
                due++;
                long before = requestsB.get();
                if (passing.passIdleRound(now)) {
                    passed++;
                    assertThat(requestsB.get()).as("a round passed over at %s costs no request", now).isEqualTo(before);
                } else {
                    passing.runDue(now);
                }
            }
            assertThat(ranges(filesB)).as("the replica at %s", now).isEqualTo(ranges(filesA));
            clock.advance(Duration.ofSeconds(10));
        }
        assertThat(ranges(filesA).stream().filter(f -> f.startsWith("9/")).count()).as("snapshots were written").isPositive();
        assertThat(ranges(filesA).stream().filter(f -> f.startsWith("2/")).count()).as("level 2 compacted").isPositive();
        // Twenty idle minutes an hour: most rounds then have nothing to do.
        assertThat(passed).as("rounds passed over, of %d due", due).isGreaterThan(due / 5);
    }

    /** Every file of every level, as "level/range", read from the store (not through a cache). */
    private static List<String> ranges(FileReplicaClient client) throws IOException {
        List<String> out = new ArrayList<>();
        for (int level = 0; level <= LtxFileInfo.MAX_LEVEL; level++) {
            for (LtxFileInfo f : client.listFiles(level, 0)) {
                out.add(level + "/" + f.range().fileName());
            }
        }
        return out;
    }

    /** Counts the requests that reach the store: listings, reads, writes and deletes. */
    private static ForwardingClient counting(FileReplicaClient files, AtomicLong requests) {
        return new ForwardingClient(files) {
            @Override
            public List<LtxFileInfo> listFiles(int level, long fromTxid) throws IOException {
                requests.incrementAndGet();
                return super.listFiles(level, fromTxid);
            }

            @Override
            public InputStream open(int level, TxidRange range) throws IOException {
                requests.incrementAndGet();
                return super.open(level, range);
            }

            @Override
            public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
                requests.incrementAndGet();
                return super.write(level, range, data, size, createdAt);
            }

            @Override
            public void delete(int level, TxidRange range) throws IOException {
                requests.incrementAndGet();
                super.delete(level, range);
            }
        };
    }
}
