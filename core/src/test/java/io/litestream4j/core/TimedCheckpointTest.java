package io.litestream4j.core;

import io.litestream4j.DatabaseOptions;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The time-based checkpoint follows the injected clock: the test moves time instead of waiting for it. */
@Timeout(120) // many times its usual time on a busy machine; it ends a hang, not a slow run
class TimedCheckpointTest {
    @TempDir
    Path dir;

    @Test
    void theCheckpointFallsDueAfterTheIntervalOnTheInjectedClock() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
        DatabaseOptions options = DatabaseOptions.defaults().withCheckpoints(Duration.ofMinutes(1), 1_000_000, 0);
        try (Database database = Database.open(db, options, clock, Database.ReplicaState.EMPTY); Connection app = TestDb.open(db)) {
            TestDb.exec(app, "PRAGMA wal_autocheckpoint = 0");
            TestDb.insert(app, 1, 100); // frames in the WAL (and, with them, our tables' commit)
            database.sync(); // the snapshot, with those frames
            assertThat(database.millisUntilTimedCheckpoint()).as("frames copied, none checkpointed by us").isEqualTo(60_000);

            clock.advance(Duration.ofSeconds(30));
            TestDb.insert(app, 5, 100);
            database.sync();
            assertThat(database.millisUntilTimedCheckpoint()).as("counted from the last checkpoint (the start), not the last change")
                    .isEqualTo(30_000);
            assertThat(database.checkpointIfNeeded()).as("not due yet").isFalse();

            clock.advance(Duration.ofSeconds(29));
            assertThat(database.millisUntilTimedCheckpoint()).isEqualTo(1_000);
            assertThat(database.checkpointIfNeeded()).as("a second early").isFalse();

            clock.advance(Duration.ofSeconds(1));
            assertThat(database.millisUntilTimedCheckpoint()).isZero();
            assertThat(database.checkpointIfNeeded()).as("due").isTrue();
            assertThat(database.checkpointCount()).isEqualTo(1);
            assertThat(database.millisUntilTimedCheckpoint()).as("nothing new since the checkpoint").isEqualTo(Long.MAX_VALUE);

            clock.advance(Duration.ofHours(1));
            assertThat(database.checkpointIfNeeded()).as("an hour later with nothing new").isFalse();
            assertThat(database.checkpointCount()).isEqualTo(1);
        }
    }
}
