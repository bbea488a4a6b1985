package io.litestream4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.DatabaseOptions;
import io.litestream4j.core.replica.FaultInjectingClient;
import io.litestream4j.core.replica.FileReplicaClient;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The uploader's backoff runs on the injected clock: the test steps a store outage of 17.75 s
 * of engine time (seven retries: 0.25, 0.5, 1, 2, 4, 5, 5 s) in a moment of real time, and checks
 * the schedule, the alarm after three failures in a row (naming the store's error) and that
 * health is green again once an upload works.
 */
class UploadBackoffTest {
    private static final DatabaseOptions FAST = DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(50));
    private static final List<Duration> SCHEDULE = List.of(Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(5), Duration.ofSeconds(5));
    /** Real time for an engine thread to reach its next sleep; only a stalled machine comes near it. */
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void failedUploadsBackOffOnTheInjectedClockAndRecover() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 20);
        DrivenClock clock = new DrivenClock(Instant.parse("2026-11-30T07:00:00Z"));
        FaultInjectingClient store = new FaultInjectingClient(new FileReplicaClient(dir.resolve("replica")));
        DatabaseReplicator r = DatabaseReplicator.start(db, FAST, List.of(new DatabaseReplicator.Destination(store, Duration.ZERO)), clock);
        try {
            store.mode(FaultInjectingClient.Mode.SERVER_ERRORS);
            try (Connection c = TestDb.open(db)) {
                TestDb.insert(c, 10, 100);
            }
            for (int i = 0; i < SCHEDULE.size(); i++) {
                List<Duration> sleeps = clock.awaitSleeps("upload ", i + 1, PATIENCE);
                assertThat(sleeps).as("the uploader's waits after %d failures", i + 1).isEqualTo(SCHEDULE.subList(0, i + 1));
                if (i + 1 >= ReplicaUploader.ALARM_AFTER) {
                    assertThat(r.replicaStatuses().getFirst().lastError()).startsWith("upload: failed %d times in a row".formatted(i + 1))
                            .contains("InternalError (HTTP 500)");
                }
                if (i + 1 < SCHEDULE.size()) {
                    clock.advance(SCHEDULE.get(i));
                }
            }
            long committed = r.database().txid();
            assertThat(r.replicaPositions().getFirst()).as("nothing reached the store during the outage").isLessThan(committed);

            store.mode(FaultInjectingClient.Mode.NONE);
            clock.advance(SCHEDULE.getLast());
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (r.replicaPositions().getFirst() < committed || r.replicaStatuses().getFirst().lastError() != null) {
                assertThat(System.nanoTime()).as("caught up after the outage, last error: %s", r.replicaStatuses().getFirst().lastError())
                        .isLessThan(deadline);
                Thread.sleep(10);
            }
            assertThat(clock.awaitSleeps("upload ", 0, PATIENCE)).as("no retry after the store came back").hasSize(SCHEDULE.size());
        } finally {
            r.stop(Duration.ofSeconds(30));
            r.close();
        }
    }
}
