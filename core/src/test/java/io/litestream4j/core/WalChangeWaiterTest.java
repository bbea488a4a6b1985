package io.litestream4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What a look without a notification counts as a change. */
@Timeout(120)
class WalChangeWaiterTest {
    @TempDir
    Path dir;

    /**
     * The application's connection was the last: its close checkpointed the commit into the
     * database and deleted the WAL. With the notifications lost (a watch-queue overflow), the look
     * that follows sees no WAL before and none after; only the database file shows the change.
     */
    @Test
    void aChangeOfTheDatabaseFileAloneIsAChangeAfterLostEvents() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 5);
        Path wal = db.resolveSibling("app.db-wal");
        try (Connection app = TestDb.open(db)) {
            TestDb.insert(app, 1, 100);
        }
        assertThat(wal).as("the last close deleted the WAL").doesNotExist();
        WalChangeWaiter waiter = new WalChangeWaiter(db, wal, Duration.ofMillis(50));
        try {
            assertThat(waiter.await(false, Long.MAX_VALUE)).as("the first look").isTrue();
            assertThat(waiter.await(false, Long.MAX_VALUE)).as("nothing changed: the look interval passes").isFalse();
            // The database file changes with no WAL event at all (the checkpoint at a last close
            // writes only the database); then the events are reported lost.
            Files.setLastModifiedTime(db, FileTime.fromMillis(Files.getLastModifiedTime(db).toMillis() + 5_000));
            waiter.lookAgain();
            assertThat(waiter.await(false, Long.MAX_VALUE)).as("the database file changed").isTrue();
            assertThat(waiter.await(false, Long.MAX_VALUE)).as("and only once").isFalse();
        } finally {
            waiter.close();
            waiter.release();
        }
    }
}
