package io.litestream4j.core;

import io.litestream4j.DatabaseOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlan;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** max-sync-wal-bytes: a WAL backlog larger than the limit becomes several L0 files, which restore to the database. */
@Timeout(120) // many times its usual time on a busy machine; it ends a hang, not a slow run
class MaxSyncWalBytesTest {
    private static final long LIMIT = 256 << 10;
    private static final int TRANSACTIONS = 40;
    /** Ten incompressible 3,000-byte rows: about ten 4 KiB pages, 41 KiB of WAL, a transaction. */
    private static final int ROWS = 10;
    private static final int ROW_BYTES = 3000;

    @TempDir
    Path dir;

    @Test
    void aBacklogSeveralTimesTheLimitBecomesSeveralFilesAndRestores() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        try (Database database = Database.open(db, DatabaseOptions.defaults().withMaxSyncWalBytes(LIMIT), Clock.systemUTC(),
                Database.ReplicaState.EMPTY); Connection app = TestDb.open(db)) {
            TestDb.exec(app, "PRAGMA wal_autocheckpoint = 0");
            database.sync();
            long before = database.txid();
            for (int i = 0; i < TRANSACTIONS; i++) {
                TestDb.insert(app, ROWS, ROW_BYTES);
            }
            long backlog = Files.size(database.walPath());
            assertThat(backlog).as("WAL backlog").isGreaterThan(5 * LIMIT);

            Database.SyncResult r = database.sync();

            List<Path> increments;
            try (Stream<Path> files = Files.list(database.localLtxDir())) {
                increments = files.filter(p -> !p.getFileName().toString().startsWith("0000000000000001-")).sorted().toList();
            }
            System.out.printf("MaxSyncWalBytesTest: %d KiB of WAL, limit %d KiB: %d L0 files of %s bytes%n", backlog >> 10, LIMIT >> 10,
                    increments.size(), increments.stream().map(p -> p.toFile().length()).toList());
            assertThat(increments).as("L0 files from one sync of a backlog %d times the limit", backlog / LIMIT).hasSizeGreaterThanOrEqualTo(5);
            assertThat(r.written()).as("the sync reports every file it wrote").hasValueSatisfying(range -> {
                assertThat(range.min()).isEqualTo(before + 1);
                assertThat(range.max()).isEqualTo(database.txid()).isEqualTo(before + increments.size());
            });
            long transactionBytes = (long) (ROWS + 2) * (4096 + 24);
            for (Path p : increments) {
                assertThat(Files.size(p)).as("%s: at most the limit plus the transaction that crosses it", p.getFileName())
                        .isLessThan(LIMIT + transactionBytes);
            }

            Path out = dir.resolve("restored.db");
            FileReplicaClient local = new FileReplicaClient(database.metaDir());
            RestorePlan plan = RestorePlanner.plan(local, OptionalLong.empty());
            assertThat(plan.txid()).isEqualTo(database.txid());
            var restored = Restorer.restore(local, plan, new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.FULL, false));
            assertThat(restored.checksumVerified()).as("database checksum verified at the end of the chain").isTrue();
            assertThat(TestDb.digest(out)).as("restored content").isEqualTo(TestDb.digest(app));
        }
    }
}
