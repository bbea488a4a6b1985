package io.litestream4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.DatabaseOptions;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import io.litestream4j.ltx.TxidRange;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The connections of a quiet database let go ({@link Database#releaseIfQuiet}) and opened again
 * by the next sync or timed checkpoint: each transition with real SQLite and the application's
 * own connections, checked by restoring what we wrote and comparing it with the database.
 */
class ReleasedConnectionsTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void commitsAfterAReleaseAreCopiedAsTheNextIncrement() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 50);
        try (Database database = open(db, Clock.systemUTC()); Connection app = TestDb.open(db)) {
            TestDb.exec(app, "PRAGMA wal_autocheckpoint = 0");
            caughtUp(database, app);
            assertThat(database.releaseIfQuiet()).as("released").isTrue();
            assertThat(database.released()).isTrue();
            assertThat(database.releaseIfQuiet()).as("a second release does nothing").isFalse();
            long before = database.txid();

            TestDb.insert(app, 20, 100);
            Database.SyncResult r = database.sync();
            assertThat(r.written()).as("the commits made while released").contains(new TxidRange(before + 1, before + 1));
            assertThat(database.released()).as("connections open again").isFalse();
            assertThat(database.catchUpCount()).as("the WAL generation was unchanged: frames copied, no catch-up").isZero();
            assertThat(database.releaseCount()).isEqualTo(1);
        }
        assertRestoresTo(db);
    }

    /**
     * The application checkpoints (TRUNCATE, then RESTART) and writes on while we hold no
     * connection: the frames are gone from the WAL before we see them, so the next sync writes
     * the changed pages as the next TXID.
     */
    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void theApplicationsCheckpointWhileReleasedIsCaughtUpFromTheDatabaseFile() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 200);
        try (Database database = open(db, Clock.systemUTC()); Connection app = TestDb.open(db)) {
            TestDb.exec(app, "PRAGMA wal_autocheckpoint = 0");
            caughtUp(database, app);
            assertThat(database.releaseIfQuiet()).isTrue();
            long before = database.txid();

            TestDb.insert(app, 30, 100);
            assertThat(AppCheckpointWorkload.checkpoint(app, "TRUNCATE").busy()).as("TRUNCATE busy: we hold no reader").isFalse();
            TestDb.exec(app, "UPDATE t SET v = randomblob(100) WHERE id = 3");
            assertThat(AppCheckpointWorkload.checkpoint(app, "RESTART").busy()).as("RESTART busy").isFalse();
            TestDb.insert(app, 5, 100); // into the restarted WAL

            Database.SyncResult r = database.sync();
            assertThat(r.written()).as("one catch-up file, not a snapshot").contains(new TxidRange(before + 1, before + 1));
            assertThat(database.catchUpCount()).isEqualTo(1);
        }
        assertRestoresTo(db);
    }

    /**
     * Our release closes the last connection: SQLite then checkpoints the WAL into the database
     * and deletes it, with frames committed after our last sync that we never copied. The next
     * sync finds no WAL and catches up from the database file.
     */
    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void ourOwnCloseCheckpointingFramesWeNeverCopiedIsCaughtUp() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 100);
        try (Database database = open(db, Clock.systemUTC())) {
            try (Connection app = TestDb.open(db)) {
                TestDb.exec(app, "PRAGMA wal_autocheckpoint = 0");
                caughtUp(database, app);
                long frames = Files.size(database.walPath());
                TestDb.insert(app, 40, 100); // never synced
                assertThat(Files.size(database.walPath())).as("the commits are in the WAL").isGreaterThan(frames);
            }
            long before = database.txid();
            assertThat(database.releaseIfQuiet()).isTrue();
            assertThat(database.walPath()).as("SQLite checkpointed and deleted the WAL when our last connection closed").doesNotExist();

            Database.SyncResult r = database.sync();
            assertThat(r.written()).as("the changed pages as the next TXID").contains(new TxidRange(before + 1, before + 1));
            assertThat(database.catchUpCount()).isEqualTo(1);
        }
        assertRestoresTo(db);
    }

    /** The application's last connection closes while we are released: the WAL is deleted, later commits start a new one. */
    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void aWalDeletedAndStartedAgainWhileReleasedIsFollowed() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 100);
        try (Database database = open(db, Clock.systemUTC())) {
            try (Connection app = TestDb.open(db)) {
                caughtUp(database, app);
                assertThat(database.releaseIfQuiet()).isTrue();
                TestDb.insert(app, 10, 100);
            }
            assertThat(database.walPath()).as("deleted by the application's last close").doesNotExist();
            try (Connection app = TestDb.open(db)) {
                TestDb.insert(app, 10, 100);
                TestDb.exec(app, "DELETE FROM t WHERE id = 1");
            }
            assertThat(database.sync().written()).isPresent();
            assertThat(database.sync().written()).as("nothing more").isEmpty();
        }
        assertRestoresTo(db);
    }

    /** Deleted while released: the sync fails naming the file, and no empty database is created in its place. */
    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void aDatabaseDeletedWhileReleasedIsNeverCreatedAgain() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        try (Database database = open(db, Clock.systemUTC())) {
            try (Connection app = TestDb.open(db)) {
                caughtUp(database, app);
            }
            assertThat(database.releaseIfQuiet()).isTrue();
            Files.delete(db);
            Files.deleteIfExists(database.walPath());
            Files.deleteIfExists(db.resolveSibling("app.db-shm"));

            assertThatThrownBy(database::sync).isInstanceOf(NoSuchFileException.class).hasMessageContaining(db.toString());
            assertThat(database.checkpointIfNeeded()).as("no checkpoint due: nothing is opened").isFalse();
            assertThat(db).as("not created by a connection of ours").doesNotExist();
            assertThat(database.released()).isTrue();
        }
    }

    /**
     * Replaced while released (another database moved over it): the next sync writes the new file
     * whole as the next TXID, and replication goes on from it.
     */
    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void aDatabaseReplacedWhileReleasedIsReplicatedFromASnapshotOfTheNewFile() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 100);
        long before;
        try (Database database = open(db, Clock.systemUTC())) {
            try (Connection app = TestDb.open(db)) {
                caughtUp(database, app);
            }
            assertThat(database.releaseIfQuiet()).isTrue();
            before = database.txid();
            replace(db, 4096);

            Database.SyncResult r = database.sync();
            assertThat(r.written()).as("the new file as the next TXID").contains(new TxidRange(before + 1, before + 1));
            try (Connection app = TestDb.open(db)) {
                assertThat(r.pageCount()).as("every page of the new file").isEqualTo(TestDb.queryLong(app, "PRAGMA page_count"));
                TestDb.insert(app, 5, 100);
            }
            assertThat(database.sync().written()).as("replication goes on").isPresent();
        }
        assertRestoresTo(db);
    }

    /** Replaced by a database of another page size: refused with an error that says what to do; nothing is written. */
    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void aReplacementWithAnotherPageSizeIsRefused() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 100);
        try (Database database = open(db, Clock.systemUTC())) {
            try (Connection app = TestDb.open(db)) {
                caughtUp(database, app);
            }
            assertThat(database.releaseIfQuiet()).isTrue();
            long before = database.txid();
            replace(db, 8192);

            assertThatThrownBy(database::sync).hasMessageContaining("page size 8192, was 4096").hasMessageContaining("litestream reset");
            assertThatThrownBy(database::sync).as("every time").hasMessageContaining("page size 8192, was 4096");
            assertThat(database.txid()).isEqualTo(before);
            assertThat(database.released()).isTrue();
        }
    }

    /** A timed checkpoint falling due while released opens the connections, checkpoints, and the database can be released again. */
    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void aTimedCheckpointDueWhileReleasedRuns() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 100);
        FakeClock clock = new FakeClock(Instant.parse("2026-11-30T00:00:00Z"));
        try (Database database = open(db, clock); Connection app = TestDb.open(db)) {
            TestDb.exec(app, "PRAGMA wal_autocheckpoint = 0");
            caughtUp(database, app);
            TestDb.insert(app, 10, 100);
            assertThat(database.sync().written()).isPresent();
            assertThat(database.sync().written()).isEmpty();
            assertThat(database.releaseIfQuiet()).isTrue();
            assertThat(database.checkpointIfNeeded()).as("not due yet: stays released").isFalse();
            assertThat(database.released()).isTrue();

            clock.advance(DatabaseOptions.defaults().checkpointInterval());
            long checkpoints = database.checkpointCount();
            assertThat(database.checkpointIfNeeded()).as("the timed checkpoint").isTrue();
            assertThat(database.checkpointCount()).isEqualTo(checkpoints + 1);
            assertThat(database.millisUntilTimedCheckpoint()).isEqualTo(Long.MAX_VALUE);
            assertThat(database.releaseIfQuiet()).as("released again after it").isTrue();
            TestDb.insert(app, 10, 100);
            assertThat(database.sync().written()).isPresent();
        }
        assertRestoresTo(db);
    }

    /**
     * The whole loop with a real writer in bursts: between bursts the look interval passes and the
     * connections are let go; every commit still reaches the replica.
     */
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void theSyncLoopReleasesBetweenBurstsAndLosesNothing() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        // Monitor interval 50 ms: the loop looks unprompted every 0.5 s, when it may release.
        DatabaseOptions options = DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(50));
        DatabaseReplicator r = DatabaseReplicator.start(db, options,
                List.of(new DatabaseReplicator.Destination(new FileReplicaClient(replica), Duration.ZERO)), Clock.systemUTC());
        AtomicLong commits = new AtomicLong();
        AtomicBoolean failed = new AtomicBoolean();
        try {
            for (int burst = 0; burst < 4; burst++) {
                long releasesBefore = r.database().releaseCount();
                try (Connection app = TestDb.open(db)) {
                    for (int i = 0; i < 50; i++) {
                        TestDb.insert(app, 1, 200);
                        commits.incrementAndGet();
                    }
                    if (burst == 2) {
                        TestDb.exec(app, "PRAGMA wal_checkpoint(TRUNCATE)");
                    }
                }
                // Generous: the release comes about 0.5 s after the loop's last look; a busy machine may delay it.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (r.database().releaseCount() == releasesBefore && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(r.database().releaseCount()).as("released after burst %d", burst).isGreaterThan(releasesBefore);
            }
        } catch (Exception | AssertionError e) {
            failed.set(true);
            throw e;
        } finally {
            assertThat(r.stop(Duration.ofSeconds(30))).as("replica caught up at stop").isTrue();
            r.close();
        }
        assertThat(r.lastError()).isNull();
        assertThat(commits.get()).isEqualTo(200);
        Path out = restoreLatest(replica, dir.resolve("restored.db"));
        assertThat(TestDb.digest(out)).isEqualTo(TestDb.digest(db));
        assertThat(TestDb.queryLong(TestDb.open(out), "SELECT count(*) FROM t")).isEqualTo(210);
    }

    /**
     * Nobody else has the database open: our close is the last, so SQLite checkpoints and deletes
     * the WAL. That is our own doing, not a commit: the connections stay released look after look
     * (they used to be opened again at the next look, and released again, for ever). A commit
     * afterwards is still found at once and replicated.
     */
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void ourOwnCloseDeletingTheWalDoesNotOpenTheConnectionsAgain() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        // Looks every 0.5 s (10 x 50 ms); no timed checkpoint within the test to open them legitimately.
        DatabaseOptions options = DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(50))
                .withCheckpoints(Duration.ofHours(1), DatabaseOptions.defaults().minCheckpointPageCount(), DatabaseOptions.defaults().truncatePageN());
        Path wal = db.resolveSibling("app.db-wal");
        DatabaseReplicator r = DatabaseReplicator.start(db, options,
                List.of(new DatabaseReplicator.Destination(new FileReplicaClient(replica), Duration.ZERO)), Clock.systemUTC());
        try {
            try (Connection app = TestDb.open(db)) {
                TestDb.insert(app, 5, 100);
            }
            // Generous bounds: a release comes about 0.5 s after the last look; a busy machine may delay it.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((r.database().releaseCount() == 0 || Files.exists(wal)) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(r.database().releaseCount()).as("released").isEqualTo(1);
            assertThat(wal).as("our close was the last: SQLite deleted the WAL").doesNotExist();
            assertStaysReleasedAndReplicatesACommit(r, db, 1);
        } finally {
            assertThat(r.stop(Duration.ofSeconds(30))).as("replica caught up at stop").isTrue();
            r.close();
        }
        assertThat(r.lastError()).isNull();
        Path out = restoreLatest(replica, dir.resolve("restored.db"));
        assertThat(TestDb.queryLong(TestDb.open(out), "SELECT count(*) FROM t")).isEqualTo(16);
    }

    /**
     * No WAL at our last copy (the database had none), then released: the application opens it,
     * commits and closes, and its close, the last, checkpoints and deletes the WAL. Only the
     * database file holds the commit; the next sync must catch it up, not take "no WAL, none
     * before" for "nothing new".
     */
    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void aWalThatCameAndWentWhileReleasedWithNoneBeforeIsCaughtUp() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 20); // its connection closed: no WAL
        try (Database database = open(db, Clock.systemUTC())) {
            assertThat(database.sync().written()).as("the first snapshot").isPresent();
            assertThat(database.sync().written()).isEmpty();
            assertThat(database.releaseIfQuiet()).isTrue();
            assertThat(database.walPath()).doesNotExist();
            long before = database.txid();
            try (Connection app = TestDb.open(db)) {
                TestDb.insert(app, 7, 100);
            }
            assertThat(database.walPath()).as("the application's close checkpointed and deleted it").doesNotExist();
            assertThat(database.sync().written()).as("the commit, caught up from the database file").contains(new TxidRange(before + 1, before + 1));
            assertThat(database.catchUpCount()).isEqualTo(1);
        }
        assertRestoresTo(db);
    }

    /**
     * A start lets go of a quiet database's connections at once only when many databases in the
     * process hold theirs (HeldConnections): one database among few keeps them until its loop's
     * first quiet look, so the application's close is not the last and our checkpoint stays ours.
     * Crowded, the start releases, and the application's write-and-close right after (its close
     * the last: checkpointed and deleted the WAL) still reaches the replica. The database already
     * has Litestream's tables, so our start committed nothing and holds no WAL position.
     */
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void aStartReleasesAQuietDatabaseAtOnceOnlyWhenManyHoldConnectionsAndAWriteAndCloseAfterIsReplicated() throws Exception {
        // Looks every 10 s: no loop's first quiet look releases anything within the test.
        DatabaseOptions options = DatabaseOptions.defaults().withMonitorInterval(Duration.ofSeconds(10));
        assertThat(HeldConnections.count()).as("databases of earlier tests still holding connections").isLessThan(HeldConnections.RELEASE_AT_START_ABOVE);
        Path few = withLitestreamTables(TestDb.create(Files.createDirectories(dir.resolve("few")), "app.db", 4096, 20));
        try (DatabaseReplicator r = DatabaseReplicator.start(few, options,
                List.of(new DatabaseReplicator.Destination(new FileReplicaClient(dir.resolve("few-replica")), Duration.ZERO)), Clock.systemUTC())) {
            assertThat(r.database().releaseCount()).as("few databases hold connections: not released by the start").isZero();
        }

        Path app = withLitestreamTables(TestDb.create(dir, "app.db", 4096, 20));
        Path replica = dir.resolve("replica");
        startCrowded(app, options, replica, r -> {
            assertThat(app.resolveSibling("app.db-wal")).as("our close was the last: SQLite deleted the WAL").doesNotExist();
            try (Connection c = TestDb.open(app)) {
                TestDb.insert(c, 9, 100);
            }
        });
        assertReplicaRestoresTo(replica, app, 29);
    }

    /**
     * A crowded start releases a quiet database whose files were last written long ago, and it
     * stays released look after look. A commit after it, by an application whose close is the
     * last (the WAL gone again, only the database file's time showing the change), is still found
     * by its notification and replicated: a notification after a settled release is judged by a
     * look at the files (WalChangeWaiter), and this is the case the look must not miss. (Here
     * the watcher delivers the events of our own open before the loop subscribes; at 10,000
     * databases starting it delivered them after the release, which WalChangeWaiterTest
     * reproduces with a reader's open and close.)
     */
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void aCrowdedStartsReleaseOfSettledFilesStaysAndACommitAfterItIsReplicated() throws Exception {
        // Looks every 0.5 s (10 x 50 ms); no timed checkpoint within the test to open them legitimately.
        DatabaseOptions options = DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(50))
                .withCheckpoints(Duration.ofHours(1), DatabaseOptions.defaults().minCheckpointPageCount(), DatabaseOptions.defaults().truncatePageN());
        assertThat(HeldConnections.count()).as("databases of earlier tests still holding connections").isLessThan(HeldConnections.RELEASE_AT_START_ABOVE);
        Path app = withLitestreamTables(TestDb.create(dir, "app.db", 4096, 20));
        // Last written a minute ago: settled (WalChangeWaiter.SETTLED), as a database nobody writes is.
        Files.setLastModifiedTime(app, java.nio.file.attribute.FileTime.from(Instant.now().minusSeconds(60)));
        Path replica = dir.resolve("replica");
        DatabaseReplicator r = startCrowded(app, options, replica, started -> assertStaysReleasedAndReplicatesACommit(started, app, 9));
        assertThat(r.lastError()).isNull();
        assertReplicaRestoresTo(replica, app, 29);
    }

    /**
     * The released database stays released for six look intervals (3 s at 0.5 s; time too for the
     * watcher to deliver every event of our own open) without a WAL made by opening it again; then
     * a commit of {@code rows} rows by the application is synced without being asked.
     */
    private static void assertStaysReleasedAndReplicatesACommit(DatabaseReplicator r, Path db, int rows) throws Exception {
        Thread.sleep(3000);
        assertThat(r.database().releaseCount()).as("not opened and released again").isEqualTo(1);
        assertThat(db.resolveSibling(db.getFileName() + "-wal")).as("no WAL made by opening again").doesNotExist();
        long before = r.database().txid();
        try (Connection app = TestDb.open(db)) {
            TestDb.insert(app, rows, 100);
        }
        assertSyncedPast(r, before);
    }

    /** Waits (generously: a notification comes within milliseconds, a busy machine may delay it) for a commit after the release to be synced without being asked. */
    private static void assertSyncedPast(DatabaseReplicator r, long before) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (r.database().txid() == before && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(r.database().txid()).as("a commit after the release is synced without being asked").isGreaterThan(before);
    }

    /** Opens databases into {@code others} until the process is crowded (HeldConnections): the next start releases at once. */
    private void crowdTheProcess(List<Database> others) throws Exception {
        for (int i = 0; !HeldConnections.crowded(); i++) {
            Path other = TestDb.create(Files.createDirectories(dir.resolve("other" + i)), "o.db", 4096, 1);
            others.add(Database.open(other, DatabaseOptions.defaults(), Clock.systemUTC(), Database.ReplicaState.EMPTY));
        }
    }

    /** What a test checks of a replicator while it runs. */
    private interface WhileRunning {
        void check(DatabaseReplicator r) throws Exception;
    }

    /**
     * Starts replicating {@code app} to {@code replica} in a process crowded with databases
     * holding connections ({@link #crowdTheProcess}), so that the start itself releases it;
     * runs {@code check}, stops (the replica caught up) and closes the crowd. Returns the
     * stopped replicator.
     */
    private DatabaseReplicator startCrowded(Path app, DatabaseOptions options, Path replica, WhileRunning check) throws Exception {
        List<Database> others = new java.util.ArrayList<>();
        try {
            crowdTheProcess(others);
            DatabaseReplicator r = DatabaseReplicator.start(app, options,
                    List.of(new DatabaseReplicator.Destination(new FileReplicaClient(replica), Duration.ZERO)), Clock.systemUTC());
            try {
                assertThat(r.database().releaseCount()).as("crowded: released by the start itself").isEqualTo(1);
                check.check(r);
            } finally {
                assertThat(r.stop(Duration.ofSeconds(30))).as("replica caught up at stop").isTrue();
                r.close();
            }
            return r;
        } finally {
            others.forEach(Database::close);
        }
    }

    /** {@code replica} restores, checksum verified, to {@code rows} rows (the write-and-close after the release among them) and to {@code db}'s content. */
    private void assertReplicaRestoresTo(Path replica, Path db, long rows) throws Exception {
        Path out = restoreLatest(replica, dir.resolve("restored.db"));
        assertThat(TestDb.queryLong(TestDb.open(out), "SELECT count(*) FROM t")).as("the write-and-close after the release").isEqualTo(rows);
        assertThat(TestDb.digest(out)).isEqualTo(TestDb.digest(db));
    }

    /** Restores the newest state of the file replica at {@code replica} into {@code out}, its database checksum verified; returns {@code out}. */
    private static Path restoreLatest(Path replica, Path out) throws Exception {
        try (FileReplicaClient client = new FileReplicaClient(replica)) {
            var plan = RestorePlanner.plan(client, OptionalLong.empty());
            var result = Restorer.restore(client, plan, new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.FULL, true));
            assertThat(result.checksumVerified()).as("restored database checksum verified").isTrue();
        }
        return out;
    }

    /** Creates Litestream's two tables as an earlier replication would have, and closes: no WAL left. */
    private static Path withLitestreamTables(Path db) throws Exception {
        try (Connection app = TestDb.open(db)) {
            TestDb.exec(app, "CREATE TABLE _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER)", "CREATE TABLE _litestream_lock (id INTEGER)");
        }
        return db;
    }

    /**
     * As above, but truly with no WAL at our last copy: the database already has Litestream's
     * tables (replicated before, or restored), so opening it commits nothing and our first copy
     * holds no WAL position at all. The application's write-and-close while we are released leaves
     * the commit in the database file only, and then either no WAL or an empty one (a connection
     * opened since); both must be caught up, not taken for "no WAL then, none now".
     */
    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void aWriteAndCloseWhileReleasedWithNoWalPositionIsCaughtUp() throws Exception {
        Path db = withLitestreamTables(TestDb.create(dir, "app.db", 4096, 20)); // no WAL left
        try (Database database = open(db, Clock.systemUTC())) {
            assertThat(database.sync().written()).as("the first snapshot").isPresent();
            assertThat(database.position()).as("our open committed nothing: no WAL frame to hold a position in").isNull();
            assertThat(database.sync().written()).isEmpty();
            assertThat(database.releaseIfQuiet()).isTrue();
            assertThat(database.walPath()).doesNotExist();

            long before = database.txid();
            try (Connection app = TestDb.open(db)) {
                TestDb.insert(app, 7, 100);
            }
            assertThat(database.walPath()).as("the application's close checkpointed and deleted it").doesNotExist();
            assertThat(database.sync().written()).as("the commit, caught up from the database file (no WAL now)")
                    .contains(new TxidRange(before + 1, before + 1));
            assertThat(database.sync().written()).isEmpty();
            assertThat(database.releaseIfQuiet()).isTrue();

            before = database.txid();
            try (Connection app = TestDb.open(db)) {
                TestDb.insert(app, 3, 100);
            }
            try (Connection reader = TestDb.open(db)) {
                TestDb.queryLong(reader, "SELECT count(*) FROM t"); // opens a new, empty WAL
                assertThat(database.walPath()).as("an empty WAL made by the reader").exists();
                assertThat(database.sync().written()).as("the commit, caught up from the database file (an empty WAL now)")
                        .contains(new TxidRange(before + 1, before + 1));
            }
            assertThat(database.catchUpCount()).isEqualTo(2);
        }
        assertRestoresTo(db);
    }

    /**
     * Our close was the last: SQLite checkpointed every frame and deleted the WAL, so no timed
     * checkpoint is left to open the connections again. With the application's connection open the
     * WAL stays, and so does the timed checkpoint.
     */
    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void aReleaseThatEndsTheWalLeavesNoTimedCheckpoint() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 20);
        try (Database database = open(db, Clock.systemUTC())) {
            try (Connection app = TestDb.open(db)) {
                TestDb.exec(app, "PRAGMA wal_autocheckpoint = 0");
                caughtUp(database, app);
                assertThat(database.millisUntilTimedCheckpoint()).as("copied frames wait for a timed checkpoint").isLessThan(Long.MAX_VALUE);
                assertThat(database.releaseIfQuiet()).isTrue();
                assertThat(database.walPath()).as("the application's connection keeps the WAL").exists();
                assertThat(database.millisUntilTimedCheckpoint()).as("still waiting with the WAL there").isLessThan(Long.MAX_VALUE);
                TestDb.insert(app, 1, 100);
                assertThat(database.sync().written()).isPresent();
                assertThat(database.sync().written()).isEmpty();
            }
            assertThat(database.releaseIfQuiet()).isTrue();
            assertThat(database.walPath()).as("our close was the last: WAL checkpointed and deleted").doesNotExist();
            assertThat(database.millisUntilTimedCheckpoint()).as("nothing left to checkpoint").isEqualTo(Long.MAX_VALUE);
            assertThat(database.checkpointIfNeeded()).isFalse();
            assertThat(database.released()).as("no reconnect for a checkpoint").isTrue();
        }
        assertRestoresTo(db);
    }

    /**
     * Moves another database (300 rows, checkpointed) over {@code db}, and removes the old one's
     * WAL and -shm, as a restore or a copy over it would leave none.
     */
    private void replace(Path db, int pageSize) throws Exception {
        Path other = TestDb.create(Files.createDirectories(dir.resolve("other")), "other.db", pageSize, 300);
        try (Connection c = TestDb.open(other)) {
            TestDb.exec(c, "PRAGMA wal_checkpoint(TRUNCATE)");
        }
        Files.move(other, db, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.deleteIfExists(db.resolveSibling(db.getFileName() + "-wal"));
        Files.deleteIfExists(db.resolveSibling(db.getFileName() + "-shm"));
    }

    private static Database open(Path db, Clock clock) throws Exception {
        return Database.open(db, DatabaseOptions.defaults(), clock, Database.ReplicaState.EMPTY);
    }

    /** Syncs until nothing is new, so the pin is let go and a release is possible. */
    private static void caughtUp(Database database, Connection app) throws Exception {
        TestDb.insert(app, 1, 100);
        assertThat(database.sync().written()).isPresent();
        assertThat(database.sync().written()).isEmpty();
    }

    /** The local L0 files restore to exactly the database's content, verified end to end. */
    private void assertRestoresTo(Path db) throws Exception {
        Path out = restoreLatest(dir.resolve(".app.db-litestream"), dir.resolve("restored-" + System.nanoTime() + ".db"));
        assertThat(TestDb.digest(out)).as("restore of the local files equals the database").isEqualTo(TestDb.digest(db));
    }

    /**
     * At a stop, a released database that nothing touched since the loop's last look stays
     * released (its final sync would only open the connections to find nothing new); one with a
     * commit since its release is synced, and the replica restores to the database.
     */
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void aStopOpensAReleasedDatabaseAgainOnlyWhenSomethingChangedSinceItsLastLook() throws Exception {
        DatabaseOptions options = DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(50))
                .withCheckpoints(Duration.ofHours(1), DatabaseOptions.defaults().minCheckpointPageCount(), DatabaseOptions.defaults().truncatePageN());
        for (boolean commitAfterRelease : new boolean[] {false, true}) {
            Path db = TestDb.create(dir, "app-" + commitAfterRelease + ".db", 4096, 10);
            Path replica = dir.resolve("replica-" + commitAfterRelease);
            DatabaseReplicator r = DatabaseReplicator.start(db, options,
                    List.of(new DatabaseReplicator.Destination(new FileReplicaClient(replica), Duration.ZERO)), Clock.systemUTC());
            try {
                try (Connection app = TestDb.open(db)) {
                    TestDb.insert(app, 3, 100);
                }
                // Generous: a release comes about 0.5 s after the loop's last look; a busy machine may delay it.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (r.database().releaseCount() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(r.database().releaseCount()).as("released").isEqualTo(1);
                if (commitAfterRelease) {
                    try (Connection app = TestDb.open(db)) {
                        TestDb.insert(app, 2, 100);
                    }
                }
            } finally {
                assertThat(r.stop(Duration.ofSeconds(30))).as("replica caught up at stop").isTrue();
            }
            boolean releasedAfterStop;
            synchronized (r) {
                releasedAfterStop = r.database().released();
            }
            r.close();
            assertThat(r.lastError()).isNull();
            if (!commitAfterRelease) {
                assertThat(releasedAfterStop).as("untouched since its release: the stop did not open it again").isTrue();
            }
            Path out = restoreLatest(replica, dir.resolve("restored-" + commitAfterRelease + ".db"));
            assertThat(TestDb.digest(out)).as("the replica holds every commit").isEqualTo(TestDb.digest(db));
        }
    }
}
