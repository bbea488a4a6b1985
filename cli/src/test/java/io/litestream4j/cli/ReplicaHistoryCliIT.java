package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a replica keeps through the real {@code bin/litestream}: retention never takes a moment of
 * the window, and a replica added to a database replicated before is seeded with a snapshot.
 */
class ReplicaHistoryCliIT {
    @TempDir
    Path dir;

    private Path config(String yaml) throws Exception {
        return CliProcess.writeConfig(dir, yaml);
    }

    @Test
    @Timeout(240)
    void aForcedSnapshotAndRetentionKeepTheMomentsBeforeIt() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        // Level-1 files every second, L0 files gone a second after a level-1 file covers them:
        // the replica's history is in level 1 only, as after a few minutes with the defaults.
        Path cfg = config("""
                levels:
                  - interval: 1s
                l0-retention: 1s
                l0-retention-check-interval: 1s
                dbs:
                  - path: $DIR/app.db
                    monitor-interval: 100ms
                    replica:
                      path: $DIR/replica
                """);
        Map<String, String> env = Map.of("DIR", dir.toString());
        CliProcess p = CliProcess.start(env, dir, "replicate", "-config", cfg.toString());
        assertThat(p.awaitLog("app.db: replicating to", Duration.ofSeconds(60))).as(p.output().toString()).isTrue();
        List<Instant> moments = new ArrayList<>();
        List<String> digests = new ArrayList<>();
        for (int round = 0; round < 4; round++) {
            try (Connection c = TestDb.open(db)) {
                TestDb.insert(c, 20, 200);
            }
            Thread.sleep(1500); // the sync, the upload and the next level-1 compaction, with margin
            moments.add(Instant.now());
            digests.add(TestDb.digest(db));
            Thread.sleep(1500);
        }
        p.terminate();
        CliProcess.Result stopped = p.await(Duration.ofSeconds(60));
        assertThat(stopped.code()).as(stopped.toString()).isZero();

        CliProcess.Result once = CliProcess.run(env, dir, "replicate", "-once", "-force-snapshot", "-enforce-retention", "-config", cfg.toString());
        assertThat(once.code()).as(once.toString()).isZero();
        CliProcess.Result files = CliProcess.run(dir, "ltx", "-level", "all", dir.resolve("replica").toString());
        assertThat(files.out()).as("a snapshot and the level-1 history").containsPattern("(?m)^9 ").containsPattern("(?m)^1 ");
        for (int i = 0; i < moments.size(); i++) {
            Path out = dir.resolve("at-" + i + ".db");
            CliProcess.Result r = CliProcess.run(dir, "restore", "-timestamp", moments.get(i).toString(), "-o", out.toString(),
                    dir.resolve("replica").toString());
            assertThat(r.code()).as("restore of %s (round %d)\n%s\n%s", moments.get(i), i, r, files.out()).isZero();
            // Exact when each round landed in a level-1 file of its own (a compaction delayed past
            // 1.5 s on a busy machine merges two rounds); never newer, never a state of another time.
            assertThat(digests.subList(0, i + 1)).as("state restored for round %d", i).contains(TestDb.digest(out));
        }
    }

    @Test
    @Timeout(240)
    void aReplicaAddedToADatabaseReplicatedBeforeIsSeededWithASnapshot() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        String one = """
                dbs:
                  - path: $DIR/app.db
                    replicas:
                      - name: first
                        path: $DIR/first
                """;
        Map<String, String> env = Map.of("DIR", dir.toString());
        Path cfg = config(one);
        for (int round = 0; round < 3; round++) {
            try (Connection c = TestDb.open(db)) {
                TestDb.insert(c, 10, 100);
            }
            CliProcess.Result r = CliProcess.run(env, dir, "replicate", "-once", "-config", cfg.toString());
            assertThat(r.code()).as(r.toString()).isZero();
            if (round == 0) {
                assertThat(r.err()).contains("first snapshot").doesNotContain("TXID 0000000000000000");
            }
        }
        config(one + """
                      - name: second
                        path: $DIR/second
                """);
        try (Connection c = TestDb.open(db)) {
            TestDb.insert(c, 10, 100);
        }
        CliProcess.Result added = CliProcess.run(env, dir, "replicate", "-once", "-config", cfg.toString());
        assertThat(added.code()).as(added.toString()).isZero();
        assertThat(added.err()).contains("writing a new snapshot to it").doesNotContain("cannot write to it").doesNotContain("delete");
        Path out = dir.resolve("from-second.db");
        CliProcess.Result restored = CliProcess.run(dir, "restore", "-o", out.toString(), dir.resolve("second").toString());
        assertThat(restored.code()).as(restored.toString()).isZero();
        assertThat(TestDb.digest(out)).isEqualTo(TestDb.digest(db));
    }
}
