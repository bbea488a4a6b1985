package io.litestream4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.DatabaseOptions;
import io.litestream4j.Replicator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Library mode: starting and stopping replication inside the application's JVM must leave the
 * application's SQLite locks alone. POSIX locks belong to the process and the inode, so closing
 * any descriptor of the database file would drop them; another process would then take the
 * EXCLUSIVE lock when it closes, take itself for the last connection, checkpoint and delete the
 * WAL (and the -shm) under the application's open read transaction. Checked with the real
 * {@code sqlite3} in another process.
 */
class ApplicationLocksTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void closingADatabaseKeepsTheApplicationsReadLock() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 20);
        Path wal = db.resolveSibling("app.db-wal");
        try (Connection app = TestDb.open(db)) {
            TestDb.exec(app, "PRAGMA wal_autocheckpoint = 0");
            TestDb.insert(app, 20, 100);
            try (Database d = Database.open(db, DatabaseOptions.defaults(), Clock.systemUTC(), Database.ReplicaState.EMPTY)) {
                d.sync();
            }
            app.setAutoCommit(false);
            assertThat(TestDb.queryLong(app, "SELECT count(*) FROM t")).isEqualTo(40); // a read transaction: SHARED on the file
            // Started and stopped again while the read transaction is open (the order an application's pool sees most).
            try (Database d = Database.open(db, DatabaseOptions.defaults(), Clock.systemUTC(), Database.ReplicaState.EMPTY)) {
                d.sync();
            }

            assertThat(otherProcessCounts(db)).as("another process reads the database").isEqualTo("40");
            assertThat(wal).as("the WAL: another process's close saw the application's SHARED lock and left it").exists();
            assertThat(Files.size(wal)).as("the WAL's frames are still there").isPositive();
            assertThat(TestDb.queryLong(app, "SELECT count(*) FROM t")).isEqualTo(40);
            app.commit();
        }
    }

    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void stoppingTheLibrarysReplicatorKeepsTheApplicationsReadLock() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 20);
        Path wal = db.resolveSibling("app.db-wal");
        Path replica = dir.resolve("replica");
        try (Connection app = TestDb.open(db)) {
            TestDb.exec(app, "PRAGMA wal_autocheckpoint = 0");
            TestDb.insert(app, 20, 100);
            app.setAutoCommit(false);
            assertThat(TestDb.queryLong(app, "SELECT count(*) FROM t")).isEqualTo(40);
            long descriptorsAfterFirst = 0;
            for (int round = 0; round < 5; round++) { // started and stopped repeatedly: the descriptor is reused, not leaked
                try (Replicator r = Replicator.builder(db).replica(replica.toString()).start()) {
                    assertThat(r.status().txid()).isPositive();
                }
                if (round == 0) {
                    descriptorsAfterFirst = openDescriptors(); // after the first round's class loading and jar opening
                }
            }
            assertThat(openDescriptors()).as("descriptors after 5 starts and stops").isEqualTo(descriptorsAfterFirst);

            assertThat(otherProcessCounts(db)).isEqualTo("40");
            assertThat(wal).as("the WAL after another process's close").exists();
            assertThat(Files.size(wal)).isPositive();
            assertThat(TestDb.queryLong(app, "SELECT count(*) FROM t")).isEqualTo(40);
            app.commit();
        }
    }

    private static long openDescriptors() throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    /** Opens the database in a {@code sqlite3} process, counts the rows and closes it (where SQLite decides whether it was the last connection). */
    private static String otherProcessCounts(Path db) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sqlite3", db.toString(), "SELECT count(*) FROM t;").redirectErrorStream(true).start();
        try {
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("sqlite3 finished").isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertThat(p.exitValue()).as("sqlite3: %s", out).isZero();
            return out;
        } finally {
            p.destroyForcibly();
        }
    }
}
