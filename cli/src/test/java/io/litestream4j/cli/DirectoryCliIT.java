package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Timeout;

/** Directory mode through {@code bin/litestream}: databases found, picked up when created, dropped when removed. */
@Timeout(600) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class DirectoryCliIT {
    @TempDir
    Path dir;

    @Test
    void watchedDirectoryPicksUpAndDropsDatabases() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Path sub = Files.createDirectories(data.resolve("sub"));
        Path a = TestDb.create(data, "a.db", 4096, 5);
        Path b = TestDb.create(sub, "b.db", 4096, 5);
        Files.writeString(data.resolve("notes.db"), "not a database");
        Path cfg = dir.resolve("litestream.yml");
        Files.writeString(cfg, """
                dbs:
                  - dir: %s
                    pattern: "*.db"
                    recursive: true
                    watch: true
                    monitor-interval: 200ms
                    replica:
                      path: %s
                """.formatted(data, dir.resolve("replicas")));
        CliProcess p = CliProcess.start(dir, "replicate", "-config", cfg.toString());
        // Both starts run at once, in either order: wait for each (CI once saw b.db's line before a.db's).
        assertThat(p.awaitLog("b.db: replicating to", Duration.ofSeconds(60))).as(p.output().toString()).isTrue();
        assertThat(p.awaitLog("a.db: replicating to", Duration.ofSeconds(60))).as(p.output().toString()).isTrue();
        assertThat(p.output().err()).doesNotContain("notes.db");

        Path c = TestDb.create(data, "c.db", 4096, 7);
        assertThat(p.awaitLog("c.db: new database in", Duration.ofSeconds(10))).as(p.output().toString()).isTrue();
        try (Connection conn = TestDb.open(c)) {
            TestDb.insert(conn, 10, 100);
        }
        try (Connection conn = TestDb.open(b)) {
            TestDb.insert(conn, 10, 100);
        }
        for (String suffix : new String[] {"", "-wal", "-shm"}) {
            Files.deleteIfExists(Path.of(a + suffix));
        }
        assertThat(p.awaitLog("a.db: removed, replication stopped", Duration.ofSeconds(10))).as(p.output().toString()).isTrue();

        p.terminate();
        CliProcess.Result r = p.await(Duration.ofSeconds(60));
        assertThat(r.code()).as(r.toString()).isZero();
        for (Path db : new Path[] {b, c}) {
            Path out = dir.resolve("restored-" + db.getFileName());
            CliProcess.Result restored = CliProcess.run(dir, "restore", "-config", cfg.toString(), "-o", out.toString(), db.toString());
            assertThat(restored.code()).as(restored.toString()).isZero();
            assertThat(TestDb.digest(out)).as("%s restored", db).isEqualTo(TestDb.digest(db));
        }
        assertThat(dir.resolve("replicas").resolve("sub").resolve("b.db").resolve("ltx")).as("b's replica is under its relative path").isDirectory();
        CliProcess.Result status = CliProcess.run(dir, "status", "-config", cfg.toString());
        assertThat(status.out()).contains("b.db").contains("c.db").doesNotContain("a.db").doesNotContain("notes.db");
    }

    @Test
    void aWatchedDatabaseThatCannotStartIsRetriedWhileTheOthersReplicate() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Path a = TestDb.create(data, "a.db", 4096, 5);
        Path b = TestDb.create(data, "b.db", 4096, 5);
        Path replicas = Files.createDirectories(dir.resolve("replicas"));
        Path inTheWay = Files.writeString(replicas.resolve("b.db"), "a file where b.db's replica directory goes");
        Path cfg = dir.resolve("litestream.yml");
        Files.writeString(cfg, """
                dbs:
                  - dir: %s
                    pattern: "*.db"
                    watch: true
                    replica:
                      path: %s
                """.formatted(data, replicas));
        CliProcess p = CliProcess.start(dir, "replicate", "-config", cfg.toString());
        assertThat(p.awaitLog("b.db: cannot replicate it yet", Duration.ofSeconds(60))).as(p.output().toString()).isTrue();
        assertThat(p.awaitLog("a.db: replicating to", Duration.ofSeconds(60))).as(p.output().toString()).isTrue();

        // The watch looks every second: over three seconds it has retried b.db and failed again at least once.
        Thread.sleep(3 * DirectoryWatch.INTERVAL.toMillis());
        Files.delete(inTheWay);
        assertThat(p.awaitLog("b.db: new database in", Duration.ofSeconds(30))).as(p.output().toString()).isTrue();
        try (Connection conn = TestDb.open(b)) {
            TestDb.insert(conn, 10, 100);
        }
        p.terminate();
        CliProcess.Result r = p.await(Duration.ofSeconds(60));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err()).as("the start's failure is said once, not again at every look").containsOnlyOnce("cannot replicate it yet");
        for (Path db : new Path[] {a, b}) {
            Path out = dir.resolve("restored-" + db.getFileName());
            CliProcess.Result restored = CliProcess.run(dir, "restore", "-config", cfg.toString(), "-o", out.toString(), db.toString());
            assertThat(restored.code()).as(restored.toString()).isZero();
            assertThat(TestDb.digest(out)).as("%s restored", db).isEqualTo(TestDb.digest(db));
        }
    }
}
