package io.litestream4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.TestDb;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.restore.RestorePlanner;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Restore as a library call: the newest state, a TXID, a time, and the errors a caller can act on. */
@Timeout(300) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class RestoreTest {
    @TempDir
    Path dir;

    @Test
    void restoresTheNewestStateATxidOrAMomentIntoAFreshFile() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 0);
        Path replica = dir.resolve("replica");
        String atFirst;
        long firstTxid;
        Instant afterFirst;
        // No compaction: each batch's TXID stays a file boundary on the replica.
        try (Replicator replicator = Replicator.builder(db).replica(replica.toString()).compaction(null).syncInterval(Duration.ZERO).start();
                Connection c = TestDb.open(db)) {
            TestDb.insert(c, 50, 100);
            firstTxid = replicator.awaitReplicated(Duration.ofSeconds(60));
            atFirst = TestDb.digest(c);
            afterFirst = Instant.now();
            Thread.sleep(20); // the next file's timestamp (milliseconds) is after afterFirst
            TestDb.insert(c, 50, 100);
            replicator.awaitReplicated(Duration.ofSeconds(60));
        }

        Restore.Result newest = Restore.from(replica.toString()).into(dir.resolve("newest.db"));
        assertThat(newest.checksumVerified()).isTrue();
        assertThat(newest.database()).isEqualTo(dir.resolve("newest.db"));
        assertThat(TestDb.digest(dir.resolve("newest.db"))).isEqualTo(TestDb.digest(db));

        Restore.Result byTxid = Restore.from("file://" + replica).toTxid(firstTxid).into(dir.resolve("by-txid.db"));
        assertThat(byTxid.txid()).isEqualTo(firstTxid);
        assertThat(TestDb.digest(dir.resolve("by-txid.db"))).isEqualTo(atFirst);

        try (FileReplicaClient client = new FileReplicaClient(replica)) {
            Restore.Result byTime = Restore.from(client).toTime(afterFirst).into(dir.resolve("by-time.db"));
            assertThat(byTime.txid()).isEqualTo(firstTxid);
            assertThat(TestDb.digest(dir.resolve("by-time.db"))).isEqualTo(atFirst);
            assertThat(client.listFiles(0, 0)).as("the caller's client is still usable").isNotEmpty();
        }
    }

    @Test
    void refusesAnExistingTargetUnlessToldToReplaceIt() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 20);
        Path replica = dir.resolve("replica");
        try (Replicator replicator = Replicator.builder(db).replica(replica.toString()).start()) {
            replicator.awaitReplicated(Duration.ofSeconds(60));
        }
        Path target = dir.resolve("target.db");
        Files.writeString(target, "keep me");
        assertThatThrownBy(() -> Restore.from(replica.toString()).into(target))
                .isInstanceOf(FileAlreadyExistsException.class).hasMessageContaining(target.toString()).hasMessageContaining("replaceExisting()");
        assertThat(Files.readString(target)).isEqualTo("keep me");
        Files.writeString(dir.resolve("wal-only.db-wal"), "stale");
        assertThatThrownBy(() -> Restore.from(replica.toString()).into(dir.resolve("wal-only.db")))
                .isInstanceOf(FileAlreadyExistsException.class).hasMessageContaining("wal-only.db-wal");

        Restore.from(replica.toString()).replaceExisting().into(target);
        assertThat(TestDb.digest(target)).isEqualTo(TestDb.digest(db));
    }

    @Test
    void anEmptyReplicaOrAnUnreachableTargetIsAnErrorSayingSo() throws Exception {
        Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> Restore.from(dir.resolve("empty").toString()).into(dir.resolve("out.db")))
                .isInstanceOf(NoBackupException.class).hasMessageContaining("no backup found");
        assertThat(dir.resolve("out.db")).doesNotExist();

        Path db = TestDb.create(dir, "app.db", 4096, 20);
        try (Replicator replicator = Replicator.builder(db).replica(dir.resolve("replica").toString()).start()) {
            replicator.awaitReplicated(Duration.ofSeconds(60));
        }
        assertThatThrownBy(() -> Restore.from(dir.resolve("replica").toString()).toTxid(0x7fff_ffffL).into(dir.resolve("out.db")))
                .hasMessageContaining("TXID 000000007fffffff is not available");
        assertThatThrownBy(() -> Restore.from(dir.resolve("replica").toString()).toTime(Instant.parse("2000-01-01T00:00:00Z")).into(dir.resolve("out.db")))
                .hasMessageContaining("no restorable state at 2000-01-01T00:00:00Z");
        assertThat(dir.resolve("out.db")).doesNotExist();
        assertThatThrownBy(() -> Restore.from("x").toTxid(1).toTime(Instant.now())).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Restore.from("x").toTxid(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TXIDs start at 1");
    }
}
