package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code replicate -exec}: the application runs beside replication, gets our signals, and its exit status is ours. */
@Timeout(600) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class ExecCliIT {
    @TempDir
    Path dir;

    /**
     * Runs an application that exits with {@code status} on {@code signal}, writes, sends the
     * signal to replicate: it must reach the application, whose status is ours, after a final sync.
     */
    private void signalReachesTheApplicationAfterAFinalSync(String signal, int status) throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        String app = "sh -c 'trap \"echo app got %1$s; exit %2$d\" %1$s; echo app running; while :; do sleep 0.1; done'".formatted(signal, status);
        CliProcess p = CliProcess.start(dir, "replicate", "-exec", app, db.toString(), replica.toString());
        assertThat(p.awaitLog("started sh", Duration.ofSeconds(60))).as(p.output().toString()).isTrue();
        try (Connection c = TestDb.open(db)) {
            for (int i = 0; i < 20; i++) {
                TestDb.insert(c, 1, 100);
            }
        }
        p.signal(signal);
        CliProcess.Result r = p.await(Duration.ofSeconds(60));
        assertThat(r.code()).as(r.toString()).isEqualTo(status);
        assertThat(r.out()).contains("app running").contains("app got " + signal);
        assertThat(r.err()).contains("sending SIG" + signal + " to sh").contains("sh exited with status " + status).contains("litestream shut down");
        assertThat(r.err().split("exited with status", -1)).as("the exit is logged once").hasSize(2);
        CliProcess.Result restored = CliProcess.run(dir, "restore", "-o", dir.resolve("out.db").toString(), replica.toString());
        assertThat(restored.code()).as(restored.toString()).isZero();
        assertThat(TestDb.digest(dir.resolve("out.db"))).as("the writes made before the signal are in the replica").isEqualTo(TestDb.digest(db));
    }

    @Test
    void aSignalIsForwardedAndTheApplicationsStatusIsReturnedAfterTheFinalSync() throws Exception {
        signalReachesTheApplicationAfterAFinalSync("TERM", 7);
    }

    /** A SIGHUP used to kill replicate (exit 129) with no final sync, leaving the application orphaned. */
    @Test
    void aHangupIsForwardedToTheApplicationAndStopsReplicationAfterAFinalSync() throws Exception {
        signalReachesTheApplicationAfterAFinalSync("HUP", 5);
    }

    @Test
    void anApplicationThatExitsEndsReplicationWithItsStatus() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path cfg = dir.resolve("litestream.yml");
        Files.writeString(cfg, "exec: sh -c 'sleep 0.5; exit 3'\ndbs:\n  - path: %s\n    replica:\n      path: %s\n".formatted(db, dir.resolve("replica")));
        CliProcess.Result r = CliProcess.run(dir, "replicate", "-config", cfg.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(3);
        assertThat(r.err()).contains("sh exited with status 3").contains("litestream shut down");
        assertThat(r.err().split("exited with status", -1)).as("the exit is logged once").hasSize(2);
        assertThat(Files.list(dir.resolve("replica").resolve("ltx").resolve("0")).count()).isPositive();
    }

    @Test
    void badExecCommandsFailBeforeAnythingStarts() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 1);
        CliProcess.Result unclosed = CliProcess.run(dir, "replicate", "-exec", "sh -c 'exit 3", db.toString(), dir.resolve("r").toString());
        assertThat(unclosed.code()).isEqualTo(1);
        assertThat(unclosed.err()).contains("is never closed");
        CliProcess.Result withOnce = CliProcess.run(dir, "replicate", "-once", "-exec", "true", db.toString(), dir.resolve("r").toString());
        assertThat(withOnce.err()).contains("-once cannot be combined with -exec");
        CliProcess.Result missing = CliProcess.run(dir, "replicate", "-exec", "no-such-program-xyz", db.toString(), dir.resolve("r").toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("Error: -exec: command not found: no-such-program-xyz\n").doesNotContain("error=2").doesNotContain("error: 2");
        assertThat(dir.resolve("r")).as("checked before replication starts").doesNotExist();
        CliProcess.Result noFile = CliProcess.run(dir, "replicate", "-exec", "./not-here.sh", db.toString(), dir.resolve("r").toString());
        assertThat(noFile.err()).contains("Error: -exec: no such file: ./not-here.sh\n");
    }

    @Test
    void anApplicationKilledByASignalIsReportedSo() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 1);
        CliProcess.Result r = CliProcess.run(dir, "replicate", "-exec", "sh -c 'sleep 0.5; kill -9 $$'", db.toString(), dir.resolve("r").toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(137);
        assertThat(r.err()).contains("sh was killed by signal 9 (SIGKILL)").doesNotContain("exited with status");
    }
}
