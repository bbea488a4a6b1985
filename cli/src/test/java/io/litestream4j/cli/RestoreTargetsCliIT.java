package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restores that used to give a wrong result quietly, and replica arguments that used to be
 * misread, through the real {@code bin/litestream}.
 */
class RestoreTargetsCliIT {
    @TempDir
    Path dir;

    @Test
    @Timeout(180)
    void aTimeInsideAMergedFileSaysWhichStateWasRestored() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        try (Connection c = TestDb.open(db)) {
            // Replicated before: the replicator makes no commit of its own (its tables) between the
            // two writes, whose TXIDs (2 and 3) this test names.
            TestDb.exec(c, "CREATE TABLE _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER)", "CREATE TABLE _litestream_lock (id INTEGER)");
        }
        // Uploads at most every 15 s: the two writes below go out merged into one L0 file. No
        // compaction or snapshot runs during the test (their wall-clock boundaries are ten years
        // apart): a CI run that crossed 10:40:00 merged the files into level 1 and 2 and the restore
        // rightly named the level 2 file that then held the time instead.
        Path cfg = dir.resolve("litestream.yml");
        Files.writeString(cfg, """
                levels:
                  - interval: 87600h
                snapshot:
                  interval: 87600h
                  retention: 87600h
                dbs:
                  - path: $DIR/app.db
                    monitor-interval: 100ms
                    replica:
                      path: $DIR/replica
                      sync-interval: 15s
                """);
        Map<String, String> env = Map.of("DIR", dir.toString());
        CliProcess p = CliProcess.start(env, dir, "replicate", "-config", cfg.toString());
        assertThat(p.awaitLog("app.db: replicating to", Duration.ofSeconds(60))).as(p.output().toString()).isTrue();
        String before = TestDb.digest(db);
        try (Connection c = TestDb.open(db)) {
            TestDb.insert(c, 10, 100);
        }
        Thread.sleep(500); // the sync of the first write, then a moment between the two
        Instant between = Instant.now();
        Thread.sleep(500);
        try (Connection c = TestDb.open(db)) {
            TestDb.insert(c, 10, 100);
        }
        Path merged = dir.resolve("replica/ltx/0/0000000000000002-0000000000000003.ltx");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(merged) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        p.terminate();
        CliProcess.Result stopped = p.await(Duration.ofSeconds(60));
        assertThat(stopped.code()).as(stopped.toString()).isZero();
        assertThat(merged).as("the two writes uploaded as one file\n" + stopped).exists();

        Path out = dir.resolve("between.db");
        CliProcess.Result r = CliProcess.run(dir, "restore", "-timestamp", between.toString(), "-o", out.toString(), dir.resolve("replica").toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err()).as(r.toString()).contains("may fall inside level 0 file 0000000000000002-0000000000000003.ltx")
                .contains("restoring TXID 0000000000000001").contains(" before " + between).contains("the nearest later restorable time is ")
                .contains("(TXID 0000000000000003)");
        assertThat(TestDb.digest(out)).as("the state before both writes").isEqualTo(before);
    }

    @Test
    @Timeout(120)
    void txidZeroIsAnError() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 5);
        Path replica = dir.resolve("replica");
        assertThat(CliProcess.run(dir, "replicate", "-once", db.toString(), replica.toString()).code()).isZero();
        Path out = dir.resolve("zero.db");
        CliProcess.Result r = CliProcess.run(dir, "restore", "-txid", "0000000000000000", "-o", out.toString(), replica.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("invalid -txid 0000000000000000: TXIDs start at 0000000000000001");
        assertThat(out).doesNotExist();
    }

    @Test
    @Timeout(120)
    void aLitestream03ReplicaIsRestoredToExactlyWhatItsExpectedJsonSays() throws Exception {
        Path legacy = io.litestream4j.core.restore.Litestream03Expected.fixture().resolve("replica");
        Path out = dir.resolve("legacy.db");
        CliProcess.Result dry = CliProcess.run(dir, "restore", "-dry-run", "-o", out.toString(), legacy.toString());
        assertThat(dry.code()).as(dry.toString()).isZero();
        assertThat(dry.out()).contains("(generation 58c1eaef05e3eb30) would apply 10 files");
        CliProcess.Result txid = CliProcess.run(dir, "restore", "-txid", "0000000000000002", "-o", out.toString(), legacy.toString());
        assertThat(txid.code()).isEqualTo(1);
        assertThat(txid.err()).contains("TXID 0000000000000002 does not apply to the Litestream 0.3 backup in ").contains("-timestamp");
        CliProcess.Result restored = CliProcess.run(dir, "restore", "-if-replica-exists", "-integrity-check", "full", "-o", out.toString(), legacy.toString());
        assertThat(restored.code()).as(restored.toString()).isZero();
        assertThat(restored.out()).contains("from the Litestream 0.3 backup").contains("generation 58c1eaef05e3eb30").contains("WAL up to index 00000002");
        io.litestream4j.core.restore.Litestream03Expected.assertMatches(out);
        // The fixture itself is read only: nothing was written beside it.
        try (var walk = Files.walk(legacy)) {
            assertThat(walk.filter(Files::isRegularFile).count()).isEqualTo(10);
        }
    }

    @Test
    @Timeout(120)
    void aMalformedUrlIsRejectedNotTakenAsAFolder() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 5);
        CliProcess.Result replicate = CliProcess.run(dir, "replicate", "-once", db.toString(), "s3:/bucket");
        assertThat(replicate.code()).as(replicate.toString()).isEqualTo(1);
        assertThat(replicate.err()).contains("invalid replica URL \"s3:/bucket\": want s3://");
        assertThat(dir.resolve("s3:")).doesNotExist();

        CliProcess.Result restore = CliProcess.run(dir, "restore", "-o", dir.resolve("x.db").toString(), "s3:/bucket");
        assertThat(restore.code()).isEqualTo(1);
        assertThat(restore.err()).contains("invalid replica URL \"s3:/bucket\"");

        Path cfg = dir.resolve("litestream.yml");
        Files.writeString(cfg, """
                dbs:
                  - path: %s
                    replica:
                      url: file:replica
                """.formatted(db));
        CliProcess.Result config = CliProcess.run(dir, "replicate", "-once", "-config", cfg.toString());
        assertThat(config.code()).isEqualTo(1);
        assertThat(config.err()).contains("invalid replica URL \"file:replica\": want file:///absolute/path");
        assertThat(dir.resolve("file:replica")).doesNotExist();

        Files.writeString(cfg, """
                dbs:
                  - path: %s
                    replica:
                      path: s3:/bucket
                """.formatted(db));
        CliProcess.Result path = CliProcess.run(dir, "replicate", "-once", "-config", cfg.toString());
        assertThat(path.code()).as(path.toString()).isEqualTo(1);
        assertThat(path.err()).contains("invalid replica URL \"s3:/bucket\": want s3://");
        assertThat(dir.resolve("s3:")).doesNotExist();
    }
}
