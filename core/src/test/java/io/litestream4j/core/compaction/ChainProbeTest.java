package io.litestream4j.core.compaction;

import io.litestream4j.CompactionSettings;
import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.FakeClock;
import io.litestream4j.core.replica.ReplicaHealth;
import io.litestream4j.ReplicationEvents;
import io.litestream4j.core.replica.CachingReplicaClient;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.ForwardingClient;
import io.litestream4j.ltx.LtxFileInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The periodic check that a replica still holds its chain: a probe costs two LISTs (levels 0 and
 * 9), an idle replica's probes come ever further apart (up to an hour), and only a replica changed behind our back is listed in full and
 * handed to the chain check. Time is a fake clock; nothing sleeps.
 */
class ChainProbeTest {
    private static final Instant START = Instant.parse("2026-11-23T00:00:05Z");

    @TempDir
    Path dir;

    /** A replica with two files, its listing cache counting LISTs, and a maintainer whose only due task in hours is the probe. */
    private final class Probed {
        final FakeClock clock = new FakeClock(START);
        final FileReplicaClient store = new FileReplicaClient(dir.resolve("replica"));
        final AtomicInteger lists = new AtomicInteger();
        final CachingReplicaClient cache = new CachingReplicaClient(new ForwardingClient(store) {
            @Override
            public List<LtxFileInfo> listFiles(int level, long fromTxid) throws IOException {
                lists.incrementAndGet();
                return super.listFiles(level, fromTxid);
            }
        });
        final ReplicaMaintainerTest.Writer writer = new ReplicaMaintainerTest.Writer(cache);
        /** Every full listing handed to the chain check. */
        final List<List<LtxFileInfo>> checked = new ArrayList<>();
        final ReplicaMaintainer maintainer;

        Probed() throws IOException {
            writer.write(clock.instant());
            writer.write(clock.instant());
            ReplicaMaintainer.ChainCheck check = new ReplicaMaintainer.ChainCheck() {
                @Override
                public long position() {
                    return writer.txid;
                }

                @Override
                public boolean check(List<LtxFileInfo> all, long positionBefore) {
                    checked.add(all);
                    return !all.isEmpty();
                }
            };
            // Compaction and snapshots far apart: only the probe runs in the hours below.
            CompactionSettings settings = new CompactionSettings(List.of(Duration.ofDays(1)), Duration.ofDays(7), Duration.ofDays(7),
                    Duration.ofMinutes(5), false);
            maintainer = new ReplicaMaintainer(new ReplicaCompactor(cache, dir.resolve("tmp")), settings, clock, new ReplicaHealth(),
                    ReplicationEvents.NONE, check);
            for (int level = 0; level <= LtxFileInfo.MAX_LEVEL; level++) {
                cache.listFiles(level, 0); // the replicator's start-up listing
            }
            lists.set(0);
        }

        List<Duration> runEveryMinute(Duration span) {
            return ChainProbeTest.runEveryMinute(maintainer, clock, lists, span);
        }
    }

    @Test
    void anIdleReplicasProbesBackOffAndAWipeIsNoticedAtTheNextProbe() throws Exception {
        Probed p = new Probed();
        List<Duration> probes = p.runEveryMinute(Duration.ofHours(3));
        assertThat(p.checked).as("no full check while the replica holds what we wrote").isEmpty();
        // Idle: each probe waits twice the last, up to an hour: at 5, 15, 35, 75, 135 minutes.
        assertThat(probes).as("probe times").containsExactly(Duration.ofMinutes(5), Duration.ofMinutes(15), Duration.ofMinutes(35),
                Duration.ofMinutes(75), Duration.ofMinutes(135));
        assertThat(p.lists.get()).as("LISTs in three idle hours: two per probe").isEqualTo(10);

        p.store.deleteAll(); // a wipe (or a lifecycle rule) behind our back
        p.clock.advance(ReplicaMaintainer.CHAIN_CHECK_MAX_INTERVAL);
        p.maintainer.runDue(p.clock.instant());
        assertThat(p.checked).as("the wipe is seen at the next probe, within the longest wait, and the replica listed in full").hasSize(1);
        assertThat(p.checked.getFirst()).isEmpty();
    }

    @Test
    void writesBringTheProbeBackToEveryFiveMinutes() throws Exception {
        Probed p = new Probed();
        // Idle for two and a quarter hours: probes at 5, 15, 35, 75 and 135 minutes, the next due at 195.
        assertThat(p.runEveryMinute(Duration.ofMinutes(135))).hasSize(5);

        p.writer.write(p.clock.instant()); // a write at 135 min
        List<Duration> probes = p.runEveryMinute(Duration.ofMinutes(30));
        // From 135 min on: the next probe comes 5 minutes after the last one (at 140), not at 195.
        assertThat(probes).as("probes after the write, from the write").first().isEqualTo(Duration.ofMinutes(5));
        assertThat(p.checked).as("nothing lost: no full check").isEmpty();
    }

    /**
     * Runs the maintainer's due tasks every minute for {@code span}, as the timer would; returns
     * when (from the call) each probe ran, a probe being a round that made LISTs.
     */
    private static List<Duration> runEveryMinute(ReplicaMaintainer m, FakeClock clock, AtomicInteger lists, Duration span) {
        List<Duration> probes = new ArrayList<>();
        for (long minute = 1; minute <= span.toMinutes(); minute++) {
            clock.advance(Duration.ofMinutes(1));
            int before = lists.get();
            m.runDue(clock.instant());
            if (lists.get() != before) {
                probes.add(Duration.ofMinutes(minute));
            }
        }
        return probes;
    }
}
