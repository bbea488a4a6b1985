package io.litestream4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.DatabaseOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Litestream's two tables are made in one commit by the first sync that copies WAL frames, and
 * never written again. A database nobody writes gets no commit of ours at all: at its start that
 * commit cost SQLite's fsyncs of a new WAL and, when a crowded start released the connections, a
 * checkpoint (docs/benchmarks.md). Every later open (each start, each reconnect of a released
 * database) reads the schema only.
 */
@Timeout(60)
class SqliteLocksTablesTest {
    private static final String COUNT_TABLES = "SELECT count(*) FROM sqlite_master WHERE name IN ('_litestream_seq', '_litestream_lock')";

    @TempDir
    Path dir;

    @Test
    void aDatabaseNobodyWritesGetsNoCommitOfOurs() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 3); // its connection closed: no WAL left
        String before = TestDb.digest(db);
        try (Database database = open(db)) {
            assertThat(database.sync().written()).as("the first snapshot").isPresent();
            assertThat(database.sync().written()).isEmpty();
            assertThat(database.releaseIfQuiet()).isTrue();
            assertThat(database.walPath()).as("no frame of ours was written, so our close left no WAL").doesNotExist();
        }
        try (Connection app = TestDb.open(db)) {
            assertThat(TestDb.queryLong(app, COUNT_TABLES)).as("Litestream's tables in a database nobody wrote").isZero();
        }
        assertThat(TestDb.digest(db)).isEqualTo(before);
    }

    @Test
    void bothTablesComeInOneCommitAtTheFirstSyncThatCopiesFramesAndALaterOpenWritesNothing() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 3);
        Path wal = db.resolveSibling("app.db-wal");
        try (Connection app = TestDb.open(db)) {
            TestDb.exec(app, "PRAGMA wal_autocheckpoint = 0");
            TestDb.insert(app, 1, 10); // the WAL exists and stays while this connection is open
            int before = commits(wal);
            try (Database first = open(db)) {
                assertThat(commits(wal)).as("commits the open added").isEqualTo(before);
                assertThat(first.sync().written()).as("the first snapshot, from a WAL with frames").isPresent();
                assertThat(commits(wal)).as("commits after the first sync").isEqualTo(before + 1);
                assertThat(TestDb.queryLong(app, COUNT_TABLES)).isEqualTo(2);
                assertThat(first.sync().written()).as("our commit, in the snapshot already").isEmpty();
                TestDb.insert(app, 1, 10);
                assertThat(first.sync().written()).isPresent();
                assertThat(commits(wal)).as("no second commit of ours").isEqualTo(before + 2);
            }
            long walBytes = Files.size(wal);
            try (Database again = open(db)) {
                again.sync();
                again.sync();
                assertThat(commits(wal)).as("commits after a second open and its syncs").isEqualTo(before + 2);
                assertThat(Files.size(wal)).isEqualTo(walBytes);
            }
        }
    }

    @Test
    void aWriterHoldingTheLockPutsTheTablesOffWithoutWaiting() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 3);
        try (Connection app = TestDb.open(db); SqliteLocks locks = SqliteLocks.open(db, Duration.ofSeconds(30))) {
            TestDb.exec(app, "BEGIN IMMEDIATE");
            long t0 = System.nanoTime();
            assertThat(locks.createTablesIfMissing()).as("tables made while the application holds the write lock").isFalse();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("waited for the lock").isLessThan(Duration.ofSeconds(10));
            TestDb.exec(app, "COMMIT");
            assertThat(TestDb.queryLong(app, COUNT_TABLES)).isZero();
            assertThat(locks.createTablesIfMissing()).isTrue();
            assertThat(TestDb.queryLong(app, COUNT_TABLES)).isEqualTo(2);
        }
    }

    private static Database open(Path db) throws IOException {
        return Database.open(db, DatabaseOptions.defaults(), Clock.systemUTC(), Database.ReplicaState.EMPTY);
    }

    /** Commit frames in the WAL (a frame header's second field, the database size after a commit, is non-zero). */
    private static int commits(Path wal) throws IOException {
        try (FileChannel ch = FileChannel.open(wal, StandardOpenOption.READ)) {
            ByteBuffer header = ByteBuffer.allocate(32);
            ch.read(header, 0);
            int pageSize = header.getInt(8);
            ByteBuffer frame = ByteBuffer.allocate(24);
            int commits = 0;
            for (long at = 32; at + 24 + pageSize <= ch.size(); at += 24 + pageSize) {
                frame.clear();
                ch.read(frame, at);
                if (frame.getInt(4) != 0) {
                    commits++;
                }
            }
            return commits;
        }
    }
}
