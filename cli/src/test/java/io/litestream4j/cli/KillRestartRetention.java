package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.ltx.LtxFileInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The run every backend's cli IT makes over its real server: the real {@code bin/litestream}
 * replicating with level-1 compaction every second and L0 retention of a second while writers
 * write, killed with SIGKILL mid-run and restarted; then level 1 holds files on the server, the
 * L0 files one of them covers are gone (retention deleted them over the backend), the latest
 * state restores equal to the database and the state at the first level-1 file's TXID restores
 * whole.
 */
final class KillRestartRetention {
    /** The top of a config file for {@link #run}: level 1 every second, L0 kept a second, checked every second. */
    static final String LEVELS = """
            levels:
              - interval: 1s
            l0-retention: 1s
            l0-retention-check-interval: 1s
            """;

    private KillRestartRetention() {}

    /**
     * Runs the scenario with {@code cfg} (a config starting with {@link #LEVELS} whose one database
     * is {@code db}) and the environment {@code env}; {@code replica} is the test's own client on
     * the same replica, used to watch it. Returns the restarted replicator's output.
     */
    static CliProcess.Result run(Map<String, String> env, Path dir, Path db, Path cfg, ReplicaClient replica) throws Exception {
        CliProcess first = CliProcess.start(env, dir, "replicate", "-config", cfg.toString());
        // Start-up takes seconds, minutes on an overloaded machine: the writers start after it.
        assertThat(first.awaitLog("replicating to", Duration.ofSeconds(300))).as(first.output().toString()).isTrue();
        CliProcess second;
        try (RowWriters w = new RowWriters(db, 3, Duration.ofMillis(20))) {
            Thread.sleep(3000);
            first.kill(); // SIGKILL mid-run, writers still writing: no final sync
            Thread.sleep(500);
            second = CliProcess.start(env, dir, "replicate", "-config", cfg.toString());
            assertThat(second.awaitLog("replicating to", Duration.ofSeconds(300))).as(second.output().toString()).isTrue();
            Thread.sleep(3000);
        }
        // Level-1 files and the covered L0 files gone: seconds normally, far longer on a busy machine.
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (!compactedAndRetained(replica) && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        String latest = TestDb.digest(db);
        second.terminate();
        CliProcess.Result stopped = second.await(Duration.ofSeconds(120));
        assertThat(stopped.code()).as(stopped.toString()).isZero();
        assertThat(compactedAndRetained(replica)).as("level 1 written and the L0 files it covers deleted on %s: L0 %s, L1 %s", replica.location(),
                maxTxids(replica, 0), maxTxids(replica, 1)).isTrue();

        Path restored = dir.resolve("kill-restart-latest.db");
        CliProcess.Result r = CliProcess.start(env, dir, "restore", "-config", cfg.toString(), "-integrity-check", "full", "-o", restored.toString(),
                db.toString()).await(Duration.ofSeconds(120));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(TestDb.digest(restored)).as("the latest state, every commit before and after the SIGKILL").isEqualTo(latest);

        String txid = "%016x".formatted(maxTxids(replica, 1).getFirst());
        Path atTxid = dir.resolve("kill-restart-txid.db");
        CliProcess.Result t = CliProcess.start(env, dir, "restore", "-config", cfg.toString(), "-txid", txid, "-integrity-check", "full", "-o",
                atTxid.toString(), db.toString()).await(Duration.ofSeconds(120));
        assertThat(t.code()).as(t.toString()).isZero();
        assertThat(t.out()).contains("to TXID " + txid);
        assertThat(TestDb.integrityCheck(atTxid)).isEqualTo("ok");
        return stopped;
    }

    /** The max TXIDs of a level's files, sorted. */
    static List<Long> maxTxids(ReplicaClient replica, int level) throws IOException {
        return replica.listFiles(level, 0).stream().map(LtxFileInfo::maxTxid).sorted(Long::compareUnsigned).toList();
    }

    /**
     * Level 1 holds files, and one of them has no L0 file left among its TXIDs: retention deleted
     * them over the backend. Not necessarily the first one: retention keeps the L0 files of a
     * level-1 file written more than two level-1 intervals after them (deleting them would leave
     * a moment of the window restorable to less than before; {@code RetentionPlanner}), which on
     * a loaded machine is the case for the files of the first replicator, whose level-1 file the
     * restarted one writes (CI at load 20: L0 [1, 2, 12, 22, 29] kept, L1 [2, 29, 59, 70, 74]).
     */
    static boolean compactedAndRetained(ReplicaClient replica) throws IOException {
        List<Long> level0 = maxTxids(replica, 0);
        return replica.listFiles(1, 0).stream().anyMatch(l1 -> level0.stream()
                .noneMatch(max -> Long.compareUnsigned(max, l1.minTxid()) >= 0 && Long.compareUnsigned(max, l1.maxTxid()) <= 0));
    }
}
