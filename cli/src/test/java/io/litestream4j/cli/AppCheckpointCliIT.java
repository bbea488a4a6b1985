package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.AppCheckpointWorkload;
import io.litestream4j.core.TestDb;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 28 as a user met it: `bin/litestream replicate app.db file:///...` beside an application
 * that runs its own FULL, RESTART and TRUNCATE checkpoints. None may report busy or wait, its
 * writers never see SQLITE_BUSY, also across a kill -9 of the replicator and its restart, and the
 * replica restores to the source.
 */
class AppCheckpointCliIT {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void theApplicationsCheckpointsNeitherWaitNorFailAcrossAKillNine() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 100);
        String replica = "file://" + dir.resolve("replica");
        List<AppCheckpointWorkload.Checkpoint> checkpoints = new ArrayList<>();
        AppCheckpointWorkload app = new AppCheckpointWorkload(db);
        List<CliProcess> started = new ArrayList<>();
        try {
            CliProcess first = startReplicating(db, replica, started);
            checkpoints.addAll(app.run(6, Duration.ofMillis(400)));
            first.kill(); // SIGKILL: no final sync, the pin's connection dies with the process
            checkpoints.addAll(app.run(3, Duration.ofMillis(400)));
            CliProcess second = startReplicating(db, replica, started);
            checkpoints.addAll(app.run(6, Duration.ofMillis(400)));
            app.close();
            second.terminate();
            CliProcess.Result r = second.await(Duration.ofSeconds(60));
            assertThat(r.code()).as(r.toString()).isZero();
        } finally {
            app.close();
            for (CliProcess p : started) {
                if (p.isAlive()) {
                    p.kill();
                }
            }
        }
        assertThat(app.errors()).as("writer errors other than SQLITE_BUSY").isEmpty();
        assertThat(app.busyErrors()).as("SQLITE_BUSY seen by the writers (busy_timeout 5000)").isZero();
        AppCheckpointWorkload.assertNeitherBusyNorSlow(checkpoints, 15);

        Path out = dir.resolve("restored.db");
        CliProcess.Result restored = CliProcess.run(dir, "restore", "-o", out.toString(), replica);
        assertThat(restored.code()).as(restored.toString()).isZero();
        assertThat(TestDb.integrityCheck(out)).isEqualTo("ok");
        assertThat(TestDb.digest(out)).isEqualTo(TestDb.digest(db));
    }

    private CliProcess startReplicating(Path db, String replica, List<CliProcess> started) throws Exception {
        CliProcess p = CliProcess.start(dir, "replicate", db.toString(), replica);
        started.add(p);
        // The first launch after a build also trains the start-up cache (bin/litestream): measured
        // over 60 s with the machine at load 25, so the start gets a wide margin.
        assertThat(p.awaitLog("replicating to", Duration.ofSeconds(180))).as(p.output().toString()).isTrue();
        return p;
    }
}
