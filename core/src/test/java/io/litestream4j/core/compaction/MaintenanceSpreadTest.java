package io.litestream4j.core.compaction;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.CompactionSettings;
import io.litestream4j.core.FakeClock;
import io.litestream4j.core.replica.FileReplicaClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The delay after its schedule that spreads many replicas' rounds (issue #27: 10,000 databases in one process). */
class MaintenanceSpreadTest {
    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock(Instant.parse("2026-11-30T00:00:00Z"));

    @Test
    void replicasAreSpreadOverAtMostAThirdOfTheShortestIntervalAndStayPut() throws Exception {
        Set<Long> delays = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            Duration d = spread(dir.resolve("replica-" + i), CompactionSettings.defaults());
            assertThat(d).as("replica %d", i).isGreaterThanOrEqualTo(Duration.ZERO)
                    .isLessThan(Duration.ofSeconds(5)); // a third of the default retention check, 15 s
            assertThat(spread(dir.resolve("replica-" + i), CompactionSettings.defaults())).as("the same for the same replica").isEqualTo(d);
            delays.add(d.toMillis() / 500);
        }
        assertThat(delays).as("200 replicas fall into most of the ten 0.5 s slots").hasSizeGreaterThanOrEqualTo(8);
    }

    @Test
    void shortIntervalsGetShortDelays() throws Exception {
        CompactionSettings fast = new CompactionSettings(List.of(Duration.ofMillis(300)), Duration.ofHours(1), Duration.ofHours(1),
                Duration.ofMinutes(5), true);
        for (int i = 0; i < 50; i++) {
            assertThat(spread(dir.resolve("r" + i), fast)).isLessThan(Duration.ofMillis(100));
        }
    }

    private Duration spread(Path replica, CompactionSettings settings) throws Exception {
        try (FileReplicaClient client = new FileReplicaClient(replica)) {
            return new ReplicaMaintainer(new ReplicaCompactor(client, dir.resolve("tmp")), settings, clock).spread();
        }
    }
}
