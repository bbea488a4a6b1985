package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConfig;

/**
 * {@code restore -f} as a user runs it: {@code bin/litestream replicate} under an application
 * that writes numbered transactions and runs its own FULL, RESTART and TRUNCATE checkpoints, with
 * level-1 compaction every second and L0 retention of a second; {@code bin/litestream restore -f}
 * in another process keeps a copy current; a reader in this process queries the copy read-only in
 * a loop and checks that every read sees a whole prefix of the writer's transactions and never an
 * older state than the one before. The follower is killed with SIGKILL mid-run and started again:
 * it resumes from its TXID file and ends equal to the source.
 */
class FollowCliIT {
    /** Rows each writer transaction inserts, all tagged with the transaction's number. */
    private static final int ROWS_PER_TX = 3;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aFollowedCopyShowsWholeTransactionsAcrossAKillNineAndEndsEqualToTheSource() throws Exception {
        Path db = dir.resolve("app.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            TestDb.exec(c, "PRAGMA journal_mode = wal", "CREATE TABLE t (id INTEGER PRIMARY KEY, tx INTEGER, v BLOB)",
                    "CREATE TABLE head (id INTEGER PRIMARY KEY, tx INTEGER)", "INSERT INTO head VALUES (1, 0)");
        }
        Path cfg = CliProcess.writeConfig(dir, KillRestartRetention.LEVELS + """
                dbs:
                  - path: $DIR/app.db
                    monitor-interval: 100ms
                    replica:
                      path: $DIR/replica
                """);
        Map<String, String> env = Map.of("DIR", dir.toString());
        Path out = dir.resolve("follower.db");
        String[] follow = {"restore", "-f", "-follow-interval", "250ms", "-o", out.toString(), dir.resolve("replica").toString()};
        CliProcess replicate = CliProcess.start(env, dir, "replicate", "-config", cfg.toString());
        CliProcess follower = null;
        CliProcess resumed = null;
        Writer writer = null;
        Reader reader = null;
        try {
            // Start-up takes seconds, a minute or more on an overloaded machine: generous bounds.
            assertThat(replicate.awaitLog("replicating to", Duration.ofSeconds(300))).as(replicate.output().toString()).isTrue();
            writer = new Writer(db);
            // The first L0 file itself, not its folder: the folder exists while the file is still
            // under its temporary name, and a follower started then finds no backup and exits
            // (seen once in CI, with the modules' tests running in parallel).
            awaitTrue(() -> hasLtxFile(dir.resolve("replica/ltx/0")), Duration.ofSeconds(60), "the first L0 file");
            follower = CliProcess.start(dir, follow);
            CliProcess started = follower;
            awaitTrue(() -> {
                assertThat(started.isAlive()).as("the follower still running: %s", started.output()).isTrue();
                return Files.exists(out);
            }, Duration.ofSeconds(300), () -> "the follower's first restore; the follower so far: " + started.output());
            Reader r0 = new Reader(out);
            reader = r0;
            long atStart = writer.committed();
            awaitTrue(() -> r0.newest() > atStart, Duration.ofSeconds(60), "the reader seeing transactions after the first restore");
            Thread.sleep(2000);
            follower.kill(); // SIGKILL: maybe in the middle of a change
            long seenBeforeKill = reader.newest();
            Thread.sleep(1000);
            resumed = CliProcess.start(dir, follow);
            awaitTrue(() -> r0.newest() > seenBeforeKill + 5, Duration.ofSeconds(300), "the resumed follower applying new transactions");
            Thread.sleep(2000);
            writer.close();
            assertThat(writer.errors).as("writer errors").isEmpty();
            replicate.terminate(); // final sync: the replica holds every transaction
            CliProcess.Result r = replicate.await(Duration.ofSeconds(120));
            assertThat(r.code()).as(r.toString()).isZero();
            String source = TestDb.digest(db);
            long last = writer.committed();
            awaitTrue(() -> r0.newest() == last, Duration.ofSeconds(60), "the follower reaching the writer's last transaction " + last);
            reader.close();
            assertThat(reader.violations).as("reads that saw no whole prefix of the transactions").isEmpty();
            assertThat(reader.reads.get()).as("successful reads").isGreaterThan(20);
            System.out.printf("follow: %d transactions, %d reads, %d refused while changing or recovering, newest seen %d%n", last,
                    reader.reads.get(), reader.refused.get(), reader.newest());
            System.out.println("follow: reads refused: " + reader.refusals);
            try (Connection c = readOnly(out)) {
                assertThat(TestDb.digest(c)).as("the followed copy against the source").isEqualTo(source);
            }
            assertThat(TestDb.integrityCheck(out)).isEqualTo("ok");

            CliProcess.Result first = follower.output();
            assertThat(first.out()).contains("entering follow mode: output=" + out).contains("follow: applied updates from_txid=");
            resumed.terminate();
            CliProcess.Result second = resumed.await(Duration.ofSeconds(60));
            assertThat(second.code()).as(second.toString()).isZero();
            assertThat(second.out()).as(second.toString()).contains("resuming follow mode from TXID").contains("follow mode stopped at TXID");
            assertThat(Files.readString(dir.resolve("follower.db-txid"))).matches("[0-9a-f]{16}\n");
            assertThat(dir.resolve("follower.db-journal")).doesNotExist();
        } finally {
            if (writer != null) {
                writer.close();
            }
            if (reader != null) {
                reader.close();
            }
            for (CliProcess p : new CliProcess[] {replicate, follower, resumed}) {
                if (p != null && p.isAlive()) {
                    p.kill();
                }
            }
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void followRefusesATargetAndADryRunAsLitestreamDoes() throws Exception {
        Path replica = dir.resolve("replica");
        for (List<String> args : List.of(List.of("-txid", "0000000000000002"), List.of("-timestamp", "2026-01-01T00:00:00Z"), List.of("-dry-run"))) {
            String[] cmd = java.util.stream.Stream.concat(java.util.stream.Stream.of("restore", "-f", "-o", dir.resolve("x.db").toString()),
                    java.util.stream.Stream.concat(args.stream(), java.util.stream.Stream.of(replica.toString()))).toArray(String[]::new);
            CliProcess.Result r = CliProcess.run(dir, Duration.ofSeconds(300), cmd);
            assertThat(r.code()).as(r.toString()).isNotZero();
            assertThat(r.err()).as(r.toString()).contains(args.getFirst().equals("-dry-run") ? "cannot use -dry-run with -f" : "cannot use follow mode with "
                    + args.getFirst());
        }
        CliProcess.Result bad = CliProcess.run(dir, Duration.ofSeconds(300), "restore", "-f", "-follow-interval", "0s", "-o",
                dir.resolve("x.db").toString(), replica.toString());
        assertThat(bad.code()).as(bad.toString()).isNotZero();
        assertThat(bad.err()).contains("invalid -follow-interval 0s");
    }

    private static Connection readOnly(Path db) throws SQLException {
        SQLiteConfig c = new SQLiteConfig();
        c.setReadOnly(true);
        c.setBusyTimeout(5000);
        return c.createConnection("jdbc:sqlite:" + db);
    }

    private static boolean hasLtxFile(Path folder) throws java.io.IOException {
        if (!Files.isDirectory(folder)) {
            return false;
        }
        try (var files = Files.list(folder)) {
            return files.anyMatch(f -> f.getFileName().toString().matches("[0-9a-f]{16}-[0-9a-f]{16}\\.ltx"));
        }
    }

    @FunctionalInterface
    private interface Check {
        boolean ok() throws Exception;
    }

    @FunctionalInterface
    private interface Describe {
        String get() throws Exception;
    }

    private static void awaitTrue(Check check, Duration timeout, String what) throws Exception {
        awaitTrue(check, timeout, () -> what);
    }

    /** {@link #awaitTrue(Check, Duration, String)}, the failure's description made when it fails (a process's output so far). */
    private static void awaitTrue(Check check, Duration timeout, Describe what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!check.ok()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not reached within " + timeout + ": " + what.get());
            }
            Thread.sleep(50);
        }
    }

    /** The application: numbered transactions of ROWS_PER_TX rows and the head row, and its own checkpoints. */
    private static final class Writer implements AutoCloseable {
        final ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicLong committed = new AtomicLong();
        private final Thread thread;

        Writer(Path db) {
            thread = Thread.ofPlatform().name("writer").start(() -> {
                String[] modes = {"FULL", "RESTART", "TRUNCATE"};
                try (Connection c = TestDb.open(db, 5000);
                        var insert = c.prepareStatement("INSERT INTO t (tx, v) VALUES (?, randomblob(300))");
                        var head = c.prepareStatement("UPDATE head SET tx = ? WHERE id = 1")) {
                    for (long tx = 1; !stop.get(); tx++) {
                        TestDb.exec(c, "BEGIN IMMEDIATE");
                        for (int i = 0; i < ROWS_PER_TX; i++) {
                            insert.setLong(1, tx);
                            insert.executeUpdate();
                        }
                        head.setLong(1, tx);
                        head.executeUpdate();
                        TestDb.exec(c, "COMMIT");
                        committed.set(tx);
                        if (tx % 50 == 0) {
                            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(" + modes[(int) (tx / 50 % 3)] + ")")) {
                                rs.next();
                            }
                        }
                        Thread.sleep(5);
                    }
                } catch (Throwable t) {
                    errors.add(t);
                }
            });
        }

        long committed() {
            return committed.get();
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            if (!thread.join(Duration.ofSeconds(30))) {
                throw new IllegalStateException("writer did not stop within 30 s");
            }
        }
    }

    /**
     * Reads the followed copy in a loop, read-only, one statement (one read transaction) per read,
     * on a long-lived connection (its page cache must be dropped at every change) and on a new
     * connection every tenth read. A read must see head = n, n * ROWS_PER_TX rows, n distinct
     * transactions, the highest n, and n never less than the read before. Reads refused while
     * the follower changes the file (SQLITE_BUSY) or after a crash left its journal (an error
     * until it is rolled back) are counted, not failures: refusing is what keeps torn states out.
     */
    private static final class Reader implements AutoCloseable {
        final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        final AtomicLong reads = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        /** Why reads were refused, and how often. */
        final java.util.concurrent.ConcurrentHashMap<String, Long> refusals = new java.util.concurrent.ConcurrentHashMap<>();
        private final AtomicLong newest = new AtomicLong(-1);
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;

        Reader(Path db) {
            thread = Thread.ofPlatform().name("reader").start(() -> {
                Connection kept = null;
                try {
                    for (long i = 0; !stop.get(); i++) {
                        try {
                            if (kept == null) {
                                kept = readOnly(db);
                            }
                            if (i % 10 == 9) {
                                try (Connection fresh = readOnly(db)) {
                                    check(fresh);
                                }
                            } else {
                                check(kept);
                            }
                        } catch (SQLException e) {
                            refused.incrementAndGet();
                            refusals.merge(String.valueOf(e.getMessage()), 1L, Long::sum);
                            if (kept != null) {
                                kept.close();
                                kept = null;
                            }
                        }
                        Thread.sleep(2);
                    }
                } catch (Throwable t) {
                    violations.add("reader failed: " + t);
                } finally {
                    try {
                        if (kept != null) {
                            kept.close();
                        }
                    } catch (SQLException ignored) {
                        // closing at the end
                    }
                }
            });
        }

        private void check(Connection c) throws SQLException {
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT (SELECT tx FROM head WHERE id = 1), count(*), count(DISTINCT tx), coalesce(max(tx), 0) FROM t")) {
                rs.next();
                long head = rs.getLong(1);
                long rows = rs.getLong(2);
                long distinct = rs.getLong(3);
                long max = rs.getLong(4);
                reads.incrementAndGet();
                if (rows != head * ROWS_PER_TX || distinct != head || max != head) {
                    violations.add("head %d, %d rows, %d transactions, highest %d".formatted(head, rows, distinct, max));
                }
                long before = newest.getAndAccumulate(head, Math::max);
                if (head < before) {
                    violations.add("went back from transaction %d to %d".formatted(before, head));
                }
            }
        }

        long newest() {
            return newest.get();
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            if (!thread.join(Duration.ofSeconds(30))) {
                throw new IllegalStateException("reader did not stop within 30 s");
            }
        }
    }
}
