package io.litestream4j.core;

import io.litestream4j.DatabaseOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import io.litestream4j.ltx.LtxDecoder;
import io.litestream4j.ltx.TxidRange;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The application's own checkpoints, of every mode, while we replicate: they must not wait for
 * our read transaction, and what they do behind our back must still reach the replica whole.
 */
class ApplicationCheckpointTest {
    @TempDir
    Path dir;

    /**
     * The application: two writer threads (busy_timeout 5000, one-row BEGIN IMMEDIATE
     * transactions) and a third connection running FULL, RESTART and TRUNCATE checkpoints in
     * turn, nine in all, while the replicator runs with its defaults. Without a replicator each
     * takes 0.01-0.1 s; our pin used to make every one wait the full 5 s and report busy.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void theApplicationsCheckpointsNeitherWaitNorFailWhileWeReplicate() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 100);
        Path replica = dir.resolve("replica");
        DatabaseReplicator r = DatabaseReplicator.start(db, DatabaseOptions.defaults(),
                List.of(new DatabaseReplicator.Destination(new FileReplicaClient(replica), Duration.ZERO)), Clock.systemUTC());
        AppCheckpointWorkload app = new AppCheckpointWorkload(db);
        List<AppCheckpointWorkload.Checkpoint> checkpoints;
        try {
            checkpoints = app.run(9, Duration.ofMillis(400));
        } finally {
            app.close();
            assertThat(r.stop(Duration.ofSeconds(60))).as("replica caught up at stop").isTrue();
            r.close();
        }
        assertThat(app.errors()).as("writer errors other than SQLITE_BUSY").isEmpty();
        assertThat(app.busyErrors()).as("SQLITE_BUSY seen by the writers (busy_timeout 5000)").isZero();
        assertThat(app.commits()).as("commits during the checkpoints").isPositive();
        AppCheckpointWorkload.assertNeitherBusyNorSlow(checkpoints, 9);
        assertThat(TestDb.digest(restoreFrom(replica, OptionalLong.empty(), "restored.db"))).isEqualTo(TestDb.digest(db));
    }

    /**
     * The application commits and TRUNCATE-checkpoints (twice, with a RESTART between) while our
     * loop does not look, so the frames are gone from the WAL before we ever see them: the next
     * sync writes exactly the pages that changed as one L0 file, not a snapshot, and the local
     * files restore to the source.
     */
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void changesCheckpointedBetweenOurLooksAreCaughtUpAsTheChangedPagesOnly() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 400);
        long before;
        TxidRange catchUp;
        try (Database database = Database.open(db, DatabaseOptions.defaults(), Clock.systemUTC(), Database.ReplicaState.EMPTY);
                Connection app = TestDb.open(db)) {
            TestDb.exec(app, "PRAGMA wal_autocheckpoint = 0");
            database.sync();
            TestDb.insert(app, 10, 100);
            assertThat(database.sync().written()).as("an ordinary increment").isPresent();
            assertThat(database.sync().written()).as("nothing new").isEmpty();
            assertThat(database.pinned()).as("pin held once caught up").isFalse();
            before = database.txid();

            TestDb.exec(app, "UPDATE t SET v = randomblob(100) WHERE id IN (3, 250)");
            TestDb.insert(app, 30, 100);
            assertThat(AppCheckpointWorkload.checkpoint(app, "TRUNCATE").busy()).as("TRUNCATE busy").isFalse();
            TestDb.exec(app, "DELETE FROM t WHERE id = 7");
            assertThat(AppCheckpointWorkload.checkpoint(app, "RESTART").busy()).as("RESTART busy").isFalse();
            TestDb.insert(app, 5, 100);
            assertThat(AppCheckpointWorkload.checkpoint(app, "TRUNCATE").busy()).as("TRUNCATE busy").isFalse();
            assertThat(Files.size(database.walPath())).as("WAL truncated").isZero();

            Database.SyncResult r = database.sync();
            assertThat(r.written()).as("catch-up file").isPresent();
            catchUp = r.written().get();
            assertThat(catchUp.min()).as("one TXID after the last, not a snapshot").isEqualTo(before + 1).isNotEqualTo(1);
            assertThat(database.catchUpCount()).isEqualTo(1);
            assertThat(database.sync().written()).as("nothing new after the catch-up").isEmpty();

            // Replication goes on in the usual way after it.
            TestDb.insert(app, 3, 100);
            assertThat(database.sync().written()).isPresent();
            assertThat(database.catchUpCount()).isEqualTo(1);
        }
        Path local = dir.resolve(".app.db-litestream");
        Path beforeDb = restoreFrom(local, OptionalLong.of(before), "before.db");
        Path afterDb = restoreFrom(local, OptionalLong.of(catchUp.max()), "after.db");
        Path latest = restoreFrom(local, OptionalLong.empty(), "latest.db");
        assertThat(TestDb.digest(latest)).as("restore of the local files equals the source").isEqualTo(TestDb.digest(db));
        assertThat(TestDb.queryLong(TestDb.open(afterDb), "SELECT count(*) FROM t")).isEqualTo(400 + 10 + 30 - 1 + 5);

        int pageSize = 4096;
        TreeSet<Integer> inFile = new TreeSet<>();
        try (InputStream in = Files.newInputStream(local.resolve("ltx/0").resolve(catchUp.fileName()));
                LtxDecoder dec = new LtxDecoder(in, catchUp.fileName())) {
            byte[] page = new byte[pageSize];
            for (int pgno; (pgno = dec.readPage(page)) != 0; ) {
                inFile.add(pgno);
            }
        }
        assertThat(inFile).as("pages in the catch-up file: exactly those that differ between the TXIDs before and after it")
                .isEqualTo(differingPages(beforeDb, afterDb, pageSize))
                .isNotEmpty();
        assertThat(inFile.size()).as("fewer pages than the database holds").isLessThan((int) (Files.size(afterDb) / pageSize));
    }

    /** Page numbers whose content differs between two database files (a page past one's end counts as zeros). */
    private static TreeSet<Integer> differingPages(Path a, Path b, int pageSize) throws Exception {
        TreeSet<Integer> diff = new TreeSet<>();
        try (FileChannel ca = FileChannel.open(a, StandardOpenOption.READ); FileChannel cb = FileChannel.open(b, StandardOpenOption.READ)) {
            long pages = Math.max(ca.size(), cb.size()) / pageSize;
            for (int pgno = 1; pgno <= pages; pgno++) {
                if (!Arrays.equals(page(ca, pgno, pageSize), page(cb, pgno, pageSize))) {
                    diff.add(pgno);
                }
            }
            // Pages past the end of the newer file are dropped by its commit size, not stored.
            diff.removeIf(p -> {
                try {
                    return (long) p * pageSize > cb.size();
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        return diff;
    }

    private static byte[] page(FileChannel ch, int pgno, int pageSize) throws Exception {
        ByteBuffer bb = ByteBuffer.allocate(pageSize);
        long pos = (long) (pgno - 1) * pageSize;
        while (bb.hasRemaining() && ch.read(bb, pos + bb.position()) > 0) {
            // read the page; past the end it stays zeros
        }
        return bb.array();
    }

    /** Restores the L0 files under {@code root} (a replica, or our local state) as of {@code txid}. */
    private Path restoreFrom(Path root, OptionalLong txid, String name) throws Exception {
        Path out = dir.resolve(name);
        try (FileReplicaClient client = new FileReplicaClient(root)) {
            var plan = RestorePlanner.plan(client, txid);
            var result = Restorer.restore(client, plan, new RestoreOptions(out, txid, RestoreOptions.IntegrityCheck.FULL, true));
            assertThat(result.checksumVerified()).as("restored database checksum verified").isTrue();
        }
        return out;
    }
}
