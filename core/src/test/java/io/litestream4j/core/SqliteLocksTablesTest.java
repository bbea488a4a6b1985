package io.litestream4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Litestream's two tables are made in one commit the first time a database is opened, and never
 * written again: every later open (each start, each reconnect of a released database) reads the
 * schema only. Start-up at 2,000 databases spent over half of opening each database in the two
 * separate commits (docs/benchmarks.md).
 */
@Timeout(60)
class SqliteLocksTablesTest {
    @TempDir
    Path dir;

    @Test
    void bothTablesComeInOneCommitAndALaterOpenWritesNothing() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 3);
        Path wal = db.resolveSibling("app.db-wal");
        try (Connection app = TestDb.open(db)) {
            TestDb.exec(app, "PRAGMA wal_autocheckpoint = 0");
            TestDb.insert(app, 1, 10); // the WAL exists and stays while this connection is open
            int before = commits(wal);
            try (SqliteLocks first = SqliteLocks.open(db, Duration.ofSeconds(1))) {
                assertThat(commits(wal)).as("commits the first open added").isEqualTo(before + 1);
                assertThat(TestDb.queryLong(app, "SELECT count(*) FROM sqlite_master WHERE name IN ('_litestream_seq', '_litestream_lock')"))
                        .isEqualTo(2);
            }
            long walBytes = Files.size(wal);
            try (SqliteLocks again = SqliteLocks.open(db, Duration.ofSeconds(1))) {
                assertThat(commits(wal)).as("commits after a second open").isEqualTo(before + 1);
                assertThat(Files.size(wal)).isEqualTo(walBytes);
            }
        }
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
