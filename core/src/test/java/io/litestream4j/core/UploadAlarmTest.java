package io.litestream4j.core;

import io.litestream4j.DatabaseOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.replica.FaultInjectingClient;
import io.litestream4j.core.replica.FileReplicaClient;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A replica whose uploads keep failing is reported as such, and healthy again once they work. */
class UploadAlarmTest {
    private static final DatabaseOptions FAST = DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(50));

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void uploadsFailingRoundAfterRoundAreAnAlarmUntilOneWorks() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 20);
        FaultInjectingClient store = new FaultInjectingClient(new FileReplicaClient(dir.resolve("replica")));
        DatabaseReplicator r = DatabaseReplicator.start(db, FAST, List.of(new DatabaseReplicator.Destination(store, Duration.ZERO)), Clock.systemUTC());
        try {
            store.mode(FaultInjectingClient.Mode.SERVER_ERRORS);
            try (Connection c = TestDb.open(db)) {
                TestDb.insert(c, 10, 100);
            }
            // Three rounds of backoff (0.25 + 0.5 + 1 s); the wait is bounded wide for a busy machine.
            String problem = awaitProblem(r, p -> p != null && p.contains("times in a row"));
            assertThat(problem).startsWith("upload: failed ").contains("InternalError (HTTP 500)");

            store.mode(FaultInjectingClient.Mode.NONE);
            assertThat(awaitProblem(r, p -> p == null)).isNull();
            assertThat(r.replicaPositions().getFirst()).isEqualTo(r.database().txid());
        } finally {
            r.stop(Duration.ofSeconds(30));
            r.close();
        }
    }

    private static String awaitProblem(DatabaseReplicator r, Predicate<String> wanted) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String problem;
        while (!wanted.test(problem = r.replicaStatuses().getFirst().lastError())) {
            assertThat(System.nanoTime()).as("replica problem within 60 s, last: %s", problem).isLessThan(deadline);
            Thread.sleep(50);
        }
        return problem;
    }
}
