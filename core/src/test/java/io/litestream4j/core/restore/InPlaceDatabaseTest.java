package io.litestream4j.core.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.TestDb;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConfig;

/**
 * Changes in place under SQLite's own locks and rollback journal, checked with SQLite itself:
 * its hot-journal recovery puts our journal's originals back, its readers drop their caches on
 * our commits, and a reader in another process (the sqlite3 shell) holds a change off.
 */
class InPlaceDatabaseTest {
    @TempDir
    Path dir;

    /** A rollback-journal database with {@code rows} rows of 100 bytes in {@code t}. */
    private Path rollbackDb(String name, int rows) throws SQLException {
        Path db = dir.resolve(name);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            TestDb.exec(c, "PRAGMA page_size = 4096", "PRAGMA journal_mode = delete", "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
            TestDb.insert(c, rows, 100);
        }
        return db;
    }

    @Test
    void anUnfinishedChangeIsRolledBackBySqliteFromOurJournal() throws Exception {
        Path db = rollbackDb("a.db", 300);
        byte[] original = Files.readAllBytes(db);
        String digest = TestDb.digest(db);
        Path crashed = dir.resolve("crashed.db");
        try (InPlaceDatabase d = InPlaceDatabase.open(db, () -> false)) {
            int n = d.pageCount();
            assertThat(n).isGreaterThan(4);
            InPlaceDatabase.Change c = d.begin(IntStream.rangeClosed(1, n).toArray());
            byte[] garbage = new byte[d.pageSize()];
            Arrays.fill(garbage, (byte) 0x5a);
            for (int p = 2; p <= n; p++) {
                c.write(p, garbage);
            }
            c.resize(n / 2);
            // The disk as a crash here would leave it: a torn database and the hot journal.
            Files.copy(db, crashed);
            Files.copy(InPlaceDatabase.journalOf(db), InPlaceDatabase.journalOf(crashed));
            c.close(); // no commit: rolled back
        }
        assertThat(InPlaceDatabase.journalOf(db)).doesNotExist();
        assertThat(Files.readAllBytes(db)).as("the database's bytes after the rollback").isEqualTo(original);

        // A read-only reader of the crashed copy gets an error, never the torn pages.
        SQLiteConfig ro = new SQLiteConfig();
        ro.setReadOnly(true);
        assertThatThrownBy(() -> {
            try (Connection c = ro.createConnection("jdbc:sqlite:" + crashed)) {
                TestDb.digest(c);
            }
        }).isInstanceOf(SQLException.class);
        // The first connection that may write rolls the journal back: the original state, whole.
        assertThat(TestDb.digest(crashed)).isEqualTo(digest);
        assertThat(TestDb.integrityCheck(crashed)).isEqualTo("ok");
        assertThat(InPlaceDatabase.journalOf(crashed)).doesNotExist();
    }

    @Test
    void aCommittedChangeIsSeenByAReaderThatCachedTheOldPages() throws Exception {
        Path db = rollbackDb("a.db", 50);
        Path newer = dir.resolve("newer.db");
        Files.copy(db, newer);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + newer)) {
            TestDb.exec(c, "UPDATE t SET v = randomblob(100) WHERE id % 2 = 0");
            TestDb.insert(c, 200, 100);
        }
        byte[] target = Files.readAllBytes(newer);
        try (Connection reader = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            assertThat(TestDb.digest(reader)).isNotEqualTo(TestDb.digest(newer)); // pages now in the reader's cache
            try (InPlaceDatabase d = InPlaceDatabase.open(db, () -> false)) {
                int pages = target.length / d.pageSize();
                try (InPlaceDatabase.Change c = d.begin(IntStream.rangeClosed(1, pages).toArray())) {
                    // Page 1 is left as it was: the change counter must still move for the reader to notice.
                    for (int p = 2; p <= pages; p++) {
                        c.write(p, Arrays.copyOfRange(target, (p - 1) * d.pageSize(), p * d.pageSize()));
                    }
                    c.commit(pages);
                }
            }
            assertThat(InPlaceDatabase.journalOf(db)).doesNotExist();
            assertThat(TestDb.digest(reader)).as("the reader's view after the commit").isEqualTo(TestDb.digest(newer));
        }
        assertThat(TestDb.integrityCheck(db)).isEqualTo("ok");
        byte[] header = Arrays.copyOf(Files.readAllBytes(db), 100);
        assertThat(header[18]).as("write version: rollback journal").isEqualTo((byte) 1);
        assertThat(header[19]).as("read version: rollback journal").isEqualTo((byte) 1);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aChangeWaitsForAReadTransactionInAnotherProcessAndCanBeStoppedWhileWaiting() throws Exception {
        Path db = rollbackDb("a.db", 50);
        byte[] original = Files.readAllBytes(db);
        Process sqlite = new ProcessBuilder("sqlite3", db.toString()).redirectErrorStream(true).start();
        try (InPlaceDatabase d = InPlaceDatabase.open(db, () -> false)) {
            OutputStream in = sqlite.getOutputStream();
            in.write("BEGIN;\nSELECT count(*) FROM t;\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            byte[] line = new byte[3];
            assertThat(sqlite.getInputStream().readNBytes(line, 0, 3)).isEqualTo(3);
            assertThat(new String(line, StandardCharsets.UTF_8)).isEqualTo("50\n"); // its read transaction holds SHARED now

            // Stopped while waiting: nothing changed, no journal left.
            boolean[] stop = {false};
            try (InPlaceDatabase stoppable = InPlaceDatabase.open(dir.resolve("a.db"), () -> stop[0])) {
                CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> {
                    try {
                        stoppable.begin(new int[] {2}).close();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                Thread.sleep(300);
                assertThat(waiting).as("a change while another process reads").isNotDone();
                stop[0] = true;
                assertThatThrownBy(() -> waiting.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(java.io.UncheckedIOException.class)
                        .hasRootCauseInstanceOf(InterruptedIOException.class);
            }
            assertThat(InPlaceDatabase.journalOf(db)).doesNotExist();
            assertThat(Files.readAllBytes(db)).isEqualTo(original);

            // Not stopped: it waits, and commits once the reader's transaction ends.
            CompletableFuture<Void> change = CompletableFuture.runAsync(() -> {
                try (InPlaceDatabase.Change c = d.begin(new int[0])) {
                    c.commit(d.pageCount());
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Thread.sleep(300);
            assertThat(change).as("a change while another process reads").isNotDone();
            in.write("COMMIT;\n.quit\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            change.get(30, TimeUnit.SECONDS);
        } finally {
            sqlite.destroyForcibly();
            sqlite.waitFor(30, TimeUnit.SECONDS);
        }
        byte[] after = Files.readAllBytes(db);
        assertThat(java.nio.ByteBuffer.wrap(after).getInt(24)).as("change counter").isEqualTo(java.nio.ByteBuffer.wrap(original).getInt(24) + 1);
        assertThat(TestDb.integrityCheck(db)).isEqualTo("ok");
    }
}
