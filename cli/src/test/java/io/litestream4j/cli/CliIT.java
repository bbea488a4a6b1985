package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Timeout;

/** The real {@code bin/litestream}, run as separate processes: replicate, stop, restore, and every error. */
@Timeout(600) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class CliIT {
    @TempDir
    Path dir;

    private Path replicateAndStop(Path db, Path replica, int rows) throws Exception {
        CliProcess p = CliProcess.start(dir, "replicate", db.toString(), replica.toUri().toString());
        assertThat(p.awaitLog("replicating to", Duration.ofSeconds(60))).as(p.output().toString()).isTrue();
        try (Connection c = TestDb.open(db)) {
            for (int i = 0; i < rows; i++) {
                TestDb.insert(c, 1, 100);
            }
        }
        p.terminate();
        CliProcess.Result r = p.await(Duration.ofSeconds(60));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err()).contains("signal received").contains("litestream shut down");
        return replica;
    }

    private static List<Path> levelZero(Path replica) throws Exception {
        try (Stream<Path> s = Files.list(replica.resolve("ltx").resolve("0"))) {
            return s.sorted().toList();
        }
    }

    @Test
    void versionPrintsWhatTheVersionCommandPrints() throws Exception {
        // The process answers a bare `version` before picocli is loaded (Main.main); the
        // in-process run goes through picocli's VersionCommand. Both must print the same line.
        java.io.StringWriter picocli = new java.io.StringWriter();
        int code = Main.run(new String[] {"version"}, new java.io.PrintWriter(picocli), new java.io.PrintWriter(new java.io.StringWriter()));
        assertThat(code).isZero();
        CliProcess.Result r = CliProcess.run(dir, "version");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo(picocli.toString()).startsWith("litestream4j v");
        assertThat(r.err()).isEmpty();
        CliProcess.Result help = CliProcess.run(dir, "version", "-h");
        assertThat(help.code()).as(help.toString()).isZero();
        assertThat(help.out()).contains("Usage:").contains("version");
    }

    @Test
    void replicateThenRestoreGivesTheSameDatabase() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 50);
        Path replica = replicateAndStop(db, dir.resolve("replica"), 30);
        CliProcess.Result r = CliProcess.run(dir, "restore", "-integrity-check", "full", "-o", dir.resolve("out.db").toString(), replica.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("restored").contains("database checksum verified").contains("integrity check (full) ok");
        assertThat(TestDb.digest(dir.resolve("out.db"))).isEqualTo(TestDb.digest(db));
    }

    @Test
    void restoreAnEarlierTxid() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 50);
        Path replica = replicateAndStop(db, dir.resolve("replica"), 10);
        CliProcess.Result r = CliProcess.run(dir, "restore", "-txid", "0000000000000001", "-o", dir.resolve("first.db").toString(), replica.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("TXID 0000000000000001");
        try (Connection c = TestDb.open(dir.resolve("first.db"))) {
            assertThat(TestDb.queryLong(c, "SELECT count(*) FROM t")).isEqualTo(50);
        }
    }

    @Test
    void replicateErrors() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 5);
        Files.writeString(dir.resolve("notes.txt"), "this is not a database, just some text that is long enough\n");
        Files.writeString(dir.resolve("plainfile"), "x");

        // Without -once a missing database is waited for (LifecycleCliIT); with it, there is nothing to sync.
        CliProcess.Result missing = CliProcess.run(dir, "replicate", "-once", dir.resolve("missing.db").toString(), dir.resolve("r").toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("Error: database " + dir.resolve("missing.db") + " does not exist\n");

        CliProcess.Result notDb = CliProcess.run(dir, "replicate", dir.resolve("notes.txt").toString(), dir.resolve("r").toString());
        assertThat(notDb.code()).isEqualTo(1);
        assertThat(notDb.err()).contains("not a SQLite database");

        CliProcess.Result scheme = CliProcess.run(dir, "replicate", db.toString(), "ftp://host/path");
        assertThat(scheme.code()).isEqualTo(1);
        assertThat(scheme.err()).contains("unknown scheme \"ftp\"").containsPattern("supported: [a-z0-9, ]*\\bfile\\b");

        CliProcess.Result unwritable = CliProcess.run(dir, "replicate", db.toString(), dir.resolve("plainfile").resolve("replica").toString());
        assertThat(unwritable.code()).isEqualTo(1);
        // The OS words it ("Not a directory") when the lease's lock file is the first thing written.
        assertThat(unwritable.err()).contains("replica file://" + dir.resolve("plainfile").resolve("replica")).containsIgnoringCase("not a directory");

        CliProcess.Result usage = CliProcess.run(dir, "replicate", db.toString());
        assertThat(usage.code()).isEqualTo(1);
        assertThat(usage.err()).contains("REPLICA_URL");
    }

    @Test
    void aDatabaseThatCannotBePutInWalModeIsAnError() throws Exception {
        Path db = dir.resolve("rollback.db");
        try (Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db)) {
            TestDb.exec(c, "PRAGMA journal_mode = delete", "CREATE TABLE t (x)", "INSERT INTO t VALUES (1)");
            // An application holding an exclusive lock in rollback-journal mode: no one can switch it to WAL.
            c.setAutoCommit(false);
            TestDb.exec(c, "PRAGMA locking_mode = exclusive", "INSERT INTO t VALUES (2)");
            CliProcess.Result r = CliProcess.run(dir, "replicate", db.toString(), dir.resolve("r").toString());
            assertThat(r.code()).as(r.toString()).isEqualTo(1);
            assertThat(r.err()).contains("Error: ").contains(db.toString()).contains("locked").contains("cannot switch it to WAL mode");
            c.rollback();
        }
    }

    @Test
    void restoreErrorsNameTheFileAndTheMissingRange() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 5);
        Path replica = dir.resolve("replica");
        // One `replicate -once` per round: exactly one new file each, whatever the machine's speed.
        try (Connection c = TestDb.open(db)) {
            for (int round = 0; round < 6; round++) {
                TestDb.insert(c, 3, 100);
                CliProcess.Result once = CliProcess.run(dir, "replicate", "-once", db.toString(), replica.toString());
                assertThat(once.code()).as(once.toString()).isZero();
            }
        }
        List<Path> files = levelZero(replica);
        assertThat(files).hasSize(6);

        // A missing file in the middle of the chain.
        Path gone = files.get(2);
        Path moved = dir.resolve("moved.ltx");
        Files.move(gone, moved);
        CliProcess.Result gap = CliProcess.run(dir, "restore", "-o", dir.resolve("a.db").toString(), replica.toString());
        assertThat(gap.code()).isEqualTo(1);
        String txid = gone.getFileName().toString().substring(0, 16);
        assertThat(gap.err()).contains("TXIDs " + txid + "-" + txid + " are missing");
        assertThat(dir.resolve("a.db")).doesNotExist();
        Files.move(moved, gone);

        // A corrupt file: one flipped byte in the page data.
        byte[] original = Files.readAllBytes(files.get(1));
        byte[] corrupt = original.clone();
        corrupt[120] ^= 0x40;
        Files.write(files.get(1), corrupt);
        CliProcess.Result bad = CliProcess.run(dir, "restore", "-o", dir.resolve("b.db").toString(), replica.toString());
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains(files.get(1).getFileName().toString());
        assertThat(dir.resolve("b.db")).doesNotExist();
        assertThat(dir.resolve("b.db.tmp")).doesNotExist();

        // A truncated file.
        Files.write(files.get(1), java.util.Arrays.copyOf(original, original.length / 2));
        CliProcess.Result cut = CliProcess.run(dir, "restore", "-o", dir.resolve("c.db").toString(), replica.toString());
        assertThat(cut.code()).isEqualTo(1);
        assertThat(cut.err()).contains(files.get(1).getFileName().toString()).contains("truncated");
        Files.write(files.get(1), original);

        // The output exists: refused without -force, skipped with -if-db-not-exists.
        Files.writeString(dir.resolve("exists.db"), "precious");
        CliProcess.Result exists = CliProcess.run(dir, "restore", "-o", dir.resolve("exists.db").toString(), replica.toString());
        assertThat(exists.code()).isEqualTo(1);
        assertThat(exists.err()).contains("exists.db").contains("-force");
        assertThat(Files.readString(dir.resolve("exists.db"))).isEqualTo("precious");
        CliProcess.Result skip = CliProcess.run(dir, "restore", "-if-db-not-exists", "-o", dir.resolve("exists.db").toString(), replica.toString());
        assertThat(skip.code()).isZero();
        assertThat(skip.out()).contains("already exists, skipping");
        CliProcess.Result forced = CliProcess.run(dir, "restore", "-force", "-o", dir.resolve("exists.db").toString(), replica.toString());
        assertThat(forced.code()).as(forced.toString()).isZero();
        assertThat(TestDb.digest(dir.resolve("exists.db"))).isEqualTo(TestDb.digest(db));

        // Bad flag values.
        CliProcess.Result badTxid = CliProcess.run(dir, "restore", "-txid", "12", "-o", dir.resolve("d.db").toString(), replica.toString());
        assertThat(badTxid.code()).isEqualTo(1);
        assertThat(badTxid.err()).contains("invalid transaction id \"12\"");
        CliProcess.Result badCheck = CliProcess.run(dir, "restore", "-integrity-check", "deep", "-o", dir.resolve("d.db").toString(), replica.toString());
        assertThat(badCheck.code()).isEqualTo(1);
        assertThat(badCheck.err()).contains("invalid -integrity-check \"deep\"");
    }

    @Test
    void restoreFromAnEmptyReplica() throws Exception {
        Files.createDirectories(dir.resolve("empty"));
        CliProcess.Result none = CliProcess.run(dir, "restore", "-o", dir.resolve("x.db").toString(), dir.resolve("empty").toString());
        assertThat(none.code()).isEqualTo(1);
        assertThat(none.err()).contains("no backup found");
        CliProcess.Result skip = CliProcess.run(dir, "restore", "-if-replica-exists", "-o", dir.resolve("x.db").toString(), dir.resolve("empty").toString());
        assertThat(skip.code()).isZero();
        assertThat(skip.out()).contains("no matching backups found, skipping");
        CliProcess.Result noSuch = CliProcess.run(dir, "restore", "-config", dir.resolve("none.yml").toString(), "-o", dir.resolve("x.db").toString(),
                dir.resolve("nope").toString());
        assertThat(noSuch.code()).isEqualTo(1);
        assertThat(noSuch.err()).contains(dir.resolve("nope") + " is not a replica URL or folder, and there is no config file " + dir.resolve("none.yml"));
    }
}
