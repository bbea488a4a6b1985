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
            assertThat(waiter.await(false, Long.MAX_VALUE, false)).as("the first look").isTrue();
            assertThat(waiter.await(false, Long.MAX_VALUE, false)).as("nothing changed: the look interval passes").isFalse();
            // The database file changes with no WAL event at all (the checkpoint at a last close
            // writes only the database); then the events are reported lost.
            Files.setLastModifiedTime(db, FileTime.fromMillis(Files.getLastModifiedTime(db).toMillis() + 5_000));
            waiter.lookAgain();
            assertThat(waiter.await(false, Long.MAX_VALUE, false)).as("the database file changed").isTrue();
            assertThat(waiter.await(false, Long.MAX_VALUE, false)).as("and only once").isFalse();
        } finally {
            waiter.close();
            waiter.release();
        }
    }

    /**
     * A dormant database (released, no checkpoint waiting) has nothing to do when a look finds no
     * change, so its wait ends only on a change: the look interval passing does not end it (the
     * loop's thread stays parked), a change no notification reports (the database file alone, as
     * the application's last close leaves it) is found by the safety-net look on the process's
     * timer, and a commit's WAL notification ends it as before.
     */
    @Test
    void aDormantWaitEndsOnlyOnAChangeFoundByTheTimersLookOrANotification() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 5);
        Path wal = db.resolveSibling("app.db-wal");
        // Safety-net looks every DORMANT_LOOKS (30) x 50 ms = 1.5 s.
        WalChangeWaiter waiter = new WalChangeWaiter(db, wal, Duration.ofMillis(50));
        try {
            assertThat(waiter.listening()).as("notifications on (Linux inotify)").isTrue();
            assertThat(waiter.await(false, Long.MAX_VALUE, true)).as("the first look").isTrue();

            var result = new java.util.concurrent.CompletableFuture<Boolean>();
            Thread.ofVirtual().start(() -> complete(result, waiter));
            Thread.sleep(2_000); // four look intervals: a timed wait would have returned false by now
            assertThat(result).as("no change: still waiting after four look intervals").isNotDone();
            Files.setLastModifiedTime(db, FileTime.fromMillis(Files.getLastModifiedTime(db).toMillis() + 5_000));
            // Generous: the timer's look comes within 1.5 s; a loaded machine may delay it.
            assertThat(result.get(30, java.util.concurrent.TimeUnit.SECONDS)).as("the timer's look found the database file changed").isTrue();

            var second = new java.util.concurrent.CompletableFuture<Boolean>();
            Thread.ofVirtual().start(() -> complete(second, waiter));
            Thread.sleep(200);
            try (Connection app = TestDb.open(db)) {
                TestDb.insert(app, 1, 100); // leaves the WAL in place: the application keeps it open until the close
            }
            assertThat(second.get(30, java.util.concurrent.TimeUnit.SECONDS)).as("a commit ends the wait").isTrue();

            // The application's close goes on changing the files (its checkpoint, the WAL deleted): let them settle.
            for (int i = 0; i < 100 && waiter.await(false, Long.MAX_VALUE, false); i++) {
                Thread.sleep(10);
            }
            var third = new java.util.concurrent.CompletableFuture<Boolean>();
            Thread.ofVirtual().start(() -> complete(third, waiter));
            Thread.sleep(200);
            waiter.close();
            third.get(30, java.util.concurrent.TimeUnit.SECONDS); // a close ends the wait (the loop then sees it is stopping)
            assertThat(third).as("a close ends the wait").isDone();
        } finally {
            waiter.close();
            waiter.release();
        }
    }

    /**
     * What a stop's final sync asks of a released database ({@link WalChangeWaiter#untouchedSinceLastLook}):
     * nothing since the last look; then a commit, told by its notification before any look has
     * seen it; then, with notifications closed (as at a stop), a change only the files' size and
     * time show.
     */
    @Test
    void untouchedSinceTheLastLookUntilACommitOrAFileChange() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 5);
        Path wal = db.resolveSibling("app.db-wal");
        WalChangeWaiter waiter = new WalChangeWaiter(db, wal, Duration.ofMillis(50));
        try {
            assertThat(waiter.listening()).as("notifications on (Linux inotify)").isTrue();
            assertThat(waiter.await(false, Long.MAX_VALUE, false)).as("the first look").isTrue();
            assertThat(waiter.untouchedSinceLastLook()).isTrue();

            try (Connection app = TestDb.open(db)) {
                TestDb.insert(app, 1, 100);
                // Generous: the notification comes within milliseconds; a loaded machine may delay it.
                long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
                while (waiter.untouchedSinceLastLook() && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(waiter.untouchedSinceLastLook()).as("a commit since the last look").isFalse();
            }
            // The loop takes the change (its sync would follow), and the files settle.
            for (int i = 0; i < 100 && waiter.await(false, Long.MAX_VALUE, false); i++) {
                Thread.sleep(10);
            }
            assertThat(waiter.untouchedSinceLastLook()).as("taken by the loop").isTrue();

            waiter.close(); // a stop: no more notifications
            Files.setLastModifiedTime(db, FileTime.fromMillis(Files.getLastModifiedTime(db).toMillis() + 5_000));
            assertThat(waiter.untouchedSinceLastLook()).as("the database file changed, no notification").isFalse();
        } finally {
            waiter.close();
            waiter.release();
        }
    }

    /**
     * The events of a connection that opened and closed without a commit (as our own open, at a
     * start) are still waiting when the database is released with settled files (no WAL, the
     * database last written a minute ago): the dormant wait sets them aside, since the files do
     * not bear them out, and goes on waiting. A commit afterwards ends it, though its connection's
     * close deletes the WAL again: the checkpoint gave the database file a new time.
     */
    @Test
    void aNotificationTheSettledFilesDoNotBearOutLeavesADormantWaitWaiting() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 5);
        Path wal = db.resolveSibling("app.db-wal");
        FileTime settled = FileTime.from(java.time.Instant.now().minusSeconds(60));
        Files.setLastModifiedTime(db, settled);
        WalChangeWaiter waiter = new WalChangeWaiter(db, wal, Duration.ofMillis(50));
        try {
            assertThat(waiter.listening()).as("notifications on (Linux inotify)").isTrue();
            assertThat(waiter.await(false, Long.MAX_VALUE, true)).as("the first look").isTrue();
            try (Connection reader = TestDb.open(db)) {
                TestDb.queryLong(reader, "SELECT count(*) FROM t");
            }
            assertThat(wal).as("the reader's close deleted the WAL it made").doesNotExist();
            assertThat(Files.getLastModifiedTime(db)).as("and wrote nothing to the database").isEqualTo(settled);
            // Generous: the notification comes within milliseconds; a loaded machine may delay it.
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (waiter.untouchedSinceLastLook() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(waiter.untouchedSinceLastLook()).as("the reader's notification arrived").isFalse();
            waiter.released();
            assertThat(waiter.untouchedSinceLastLook()).as("set aside once released with settled files").isTrue();

            var result = new java.util.concurrent.CompletableFuture<Boolean>();
            Thread.ofVirtual().start(() -> complete(result, waiter));
            deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (waiter.notificationsSetAside() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(waiter.notificationsSetAside()).as("the wait took the notification").isPositive();
            Thread.sleep(1_000); // two look intervals
            assertThat(result).as("nothing changed: still waiting").isNotDone();

            try (Connection app = TestDb.open(db)) {
                TestDb.insert(app, 1, 100);
            }
            assertThat(wal).as("the application's close checkpointed and deleted the WAL").doesNotExist();
            assertThat(result.get(30, java.util.concurrent.TimeUnit.SECONDS)).as("a commit ends the wait").isTrue();
        } finally {
            waiter.close();
            waiter.release();
        }
    }

    /**
     * Released with the database written just before (our close's checkpoint, or a commit right
     * before the release): a later write could carry the same time, so the files cannot tell, and
     * every notification ends the wait, as one without a commit behind it does here.
     */
    @Test
    void afterAReleaseOfFreshlyWrittenFilesEveryNotificationEndsTheWait() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 5); // written just now
        Path wal = db.resolveSibling("app.db-wal");
        WalChangeWaiter waiter = new WalChangeWaiter(db, wal, Duration.ofMillis(50));
        try {
            assertThat(waiter.listening()).as("notifications on (Linux inotify)").isTrue();
            assertThat(waiter.await(false, Long.MAX_VALUE, true)).as("the first look").isTrue();
            waiter.released();

            var result = new java.util.concurrent.CompletableFuture<Boolean>();
            Thread.ofVirtual().start(() -> complete(result, waiter));
            Thread.sleep(200);
            try (Connection reader = TestDb.open(db)) {
                TestDb.queryLong(reader, "SELECT count(*) FROM t");
            }
            assertThat(result.get(30, java.util.concurrent.TimeUnit.SECONDS)).as("the reader's notification ends the wait").isTrue();
            assertThat(waiter.notificationsSetAside()).isZero();
        } finally {
            waiter.close();
            waiter.release();
        }
    }

    private static void complete(java.util.concurrent.CompletableFuture<Boolean> result, WalChangeWaiter waiter) {
        try {
            result.complete(waiter.await(false, Long.MAX_VALUE, true));
        } catch (Exception e) {
            result.completeExceptionally(e);
        }
    }
}
