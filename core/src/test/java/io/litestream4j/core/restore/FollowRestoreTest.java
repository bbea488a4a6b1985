package io.litestream4j.core.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.DatabaseOptions;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.TestDb;
import io.litestream4j.core.compaction.ReplicaCompactor;
import io.litestream4j.core.replica.AgeKeys;
import io.litestream4j.core.replica.AgeReplicaClient;
import io.litestream4j.core.replica.AgeTestKeys;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.ltx.LtxFileInfo;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Follow mode against a file replica of a real database: the first restore, new L0 files applied
 * in place, a gap bridged from L1 after retention removed L0 files, a database that shrank, and
 * the resume rules (TXID file, a database without one, a replica behind the file).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FollowRestoreTest {
    @TempDir
    Path dir;

    private Path source;
    private Path replicaDir;
    /** The same database replicated encrypted with age (recipient and identity), beside the plain replica. */
    private Path ageReplicaDir;
    private DatabaseReplicator replicator;
    private Connection writer;
    private final List<String> events = new ArrayList<>();

    @BeforeEach
    void replicate() throws Exception {
        source = TestDb.create(dir, "app.db", 4096, 100);
        replicaDir = dir.resolve("replica");
        ageReplicaDir = dir.resolve("age-replica");
        AgeKeys keys = new AgeKeys(List.of(AgeTestKeys.IDENTITY), List.of(AgeTestKeys.RECIPIENT));
        replicator = DatabaseReplicator.start(source, DatabaseOptions.defaults(),
                List.of(new DatabaseReplicator.Destination(new FileReplicaClient(replicaDir), Duration.ZERO),
                        new DatabaseReplicator.Destination(new AgeReplicaClient(new FileReplicaClient(ageReplicaDir), keys), Duration.ZERO)),
                Clock.systemUTC());
        writer = TestDb.open(source);
        replicator.awaitReplicated(Duration.ofSeconds(30));
    }

    @AfterEach
    void stop() throws Exception {
        writer.close();
        replicator.close();
    }

    private long write(int rows) throws Exception {
        TestDb.insert(writer, rows, 100);
        return replicator.awaitReplicated(Duration.ofSeconds(30));
    }

    private FollowRestore follower(ReplicaClient client, Path out, boolean force) {
        return new FollowRestore(client, new FollowRestore.Options(out, Duration.ofSeconds(1), RestoreOptions.IntegrityCheck.NONE, force, 2),
                new FollowRestore.Listener() {
                    @Override
                    public void restored(Path output, Restorer.Result result) {
                        events.add("restored " + result.txid());
                    }

                    @Override
                    public void resumed(Path output, long txid) {
                        events.add("resumed " + txid);
                    }

                    @Override
                    public void applied(long fromTxid, long toTxid, int files, long pagesWritten) {
                        events.add("applied " + fromTxid + "-" + toTxid);
                    }

                    @Override
                    public void failed(IOException error, int consecutive) {
                        events.add("failed " + error.getMessage());
                    }
                }, Clock.systemUTC());
    }

    private void assertFollows(Path out, long txid) throws Exception {
        assertThat(TestDb.digest(out)).isEqualTo(TestDb.digest(source));
        assertThat(TestDb.integrityCheck(out)).isEqualTo("ok");
        assertThat(FollowTxidFile.read(out)).hasValue(txid);
        byte[] header = new byte[20];
        try (var in = Files.newInputStream(out)) {
            in.readNBytes(header, 0, 20);
        }
        assertThat(header[18]).as("rollback-journal mode").isEqualTo((byte) 1);
        assertThat(out.resolveSibling(out.getFileName() + "-journal")).doesNotExist();
    }

    @Test
    void restoresThenAppliesNewFilesInPlaceAndBridgesAGapFromL1() throws Exception {
        Path out = dir.resolve("follower.db");
        try (FileReplicaClient client = new FileReplicaClient(replicaDir); FollowRestore f = follower(client, out, false)) {
            f.start();
            long first = replicator.awaitReplicated(Duration.ofSeconds(30));
            assertFollows(out, first);
            Object inode = Files.readAttributes(out, java.nio.file.attribute.BasicFileAttributes.class).fileKey();

            long t = write(50);
            f.pollOnce();
            assertFollows(out, t);
            assertThat(events).containsExactly("restored " + first, "applied " + first + "-" + t);

            // Three more syncs, compacted into L1, and their L0 files removed (retention): L0 now has a gap.
            long before = t;
            for (int i = 0; i < 3; i++) {
                t = write(20);
            }
            try (FileReplicaClient admin = new FileReplicaClient(replicaDir)) {
                new ReplicaCompactor(admin, dir).compact(1).orElseThrow();
                for (LtxFileInfo l0 : admin.listFiles(0, before + 1)) {
                    admin.delete(0, l0.range());
                }
                write(5); // one L0 file after the gap
                t = replicator.awaitReplicated(Duration.ofSeconds(30));
            }
            f.pollOnce();
            assertFollows(out, t);

            // The database shrinks: the followed file is cut to the new size.
            TestDb.exec(writer, "DELETE FROM t WHERE id > 20", "VACUUM");
            t = replicator.awaitReplicated(Duration.ofSeconds(30));
            long sizeBefore = Files.size(out);
            f.pollOnce();
            assertFollows(out, t);
            // The source's file shrinks only at its next checkpoint; its page count is the committed size.
            assertThat(Files.size(out)).isLessThan(sizeBefore).isEqualTo(TestDb.queryLong(writer, "PRAGMA page_count") * 4096);
            assertThat(Files.readAttributes(out, java.nio.file.attribute.BasicFileAttributes.class).fileKey())
                    .as("the same file, changed in place").isEqualTo(inode);

            f.pollOnce(); // nothing new: no change
            assertThat(events.getLast()).startsWith("applied ");
            assertThat(events).filteredOn(e -> e.startsWith("failed")).isEmpty();
        }
    }

    /** An age-encrypted replica, read with its identities only (as a reader's config holds them): the same file as from the plain one. */
    @Test
    void anAgeReplicaIsFollowedThroughTheDecryption() throws Exception {
        Path out = dir.resolve("follower.db");
        AgeKeys identityOnly = new AgeKeys(List.of(AgeTestKeys.IDENTITY), List.of());
        try (ReplicaClient client = new AgeReplicaClient(new FileReplicaClient(ageReplicaDir), identityOnly); FollowRestore f = follower(client, out, false)) {
            f.start();
            long first = replicator.awaitReplicated(Duration.ofSeconds(30));
            assertFollows(out, first);
            long t = write(50);
            f.pollOnce();
            t = write(30);
            f.pollOnce();
            assertFollows(out, t);
            assertThat(events).filteredOn(e -> e.startsWith("failed")).isEmpty();
        }
        // A wrong key: the first restore fails naming the file, no key printed, nothing written.
        Path other = dir.resolve("other.db");
        AgeKeys wrong = new AgeKeys(List.of(AgeTestKeys.OTHER_IDENTITY), List.of());
        try (ReplicaClient client = new AgeReplicaClient(new FileReplicaClient(ageReplicaDir), wrong); FollowRestore f = follower(client, other, false)) {
            assertThatThrownBy(f::start).isInstanceOf(IOException.class).hasMessageContaining(".ltx").hasMessageContaining("wrong key?")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(AgeTestKeys.OTHER_IDENTITY));
        }
        assertThat(other).doesNotExist();
        assertThat(FollowTxidFile.of(other)).doesNotExist();
    }

    @Test
    void resumesFromTheTxidFileAndReAppliesSafelyFromAnOlderOne() throws Exception {
        Path out = dir.resolve("follower.db");
        long old;
        try (FileReplicaClient client = new FileReplicaClient(replicaDir); FollowRestore f = follower(client, out, false)) {
            f.start();
            old = f.txid();
        }
        long t = write(30);
        try (FileReplicaClient client = new FileReplicaClient(replicaDir); FollowRestore f = follower(client, out, false)) {
            f.start();
            assertThat(events.getLast()).isEqualTo("resumed " + old);
            f.pollOnce();
            assertFollows(out, t);
        }
        // A crash after the pages were durable but before the TXID file was written: the older TXID
        // is re-applied over the newer pages and ends at the same state.
        FollowTxidFile.write(out, old);
        t = write(10);
        try (FileReplicaClient client = new FileReplicaClient(replicaDir); FollowRestore f = follower(client, out, false)) {
            f.start();
            f.pollOnce();
            assertFollows(out, t);
        }
    }

    @Test
    void aDatabaseWithoutTxidFileIsRefusedUnlessForced() throws Exception {
        Path out = dir.resolve("follower.db");
        Files.copy(source, out);
        try (FileReplicaClient client = new FileReplicaClient(replicaDir); FollowRestore f = follower(client, out, false)) {
            assertThatThrownBy(f::start).isInstanceOf(FileAlreadyExistsException.class)
                    .hasMessageContaining("cannot resume follow mode").hasMessageContaining(out + "-txid").hasMessageContaining("-force");
        }
        long t = write(3);
        try (FileReplicaClient client = new FileReplicaClient(replicaDir); FollowRestore f = follower(client, out, true)) {
            f.start();
            assertFollows(out, t);
        }
    }

    @Test
    void aTxidFileAheadOfTheReplicaIsAnErrorSayingWhatToDo() throws Exception {
        Path out = dir.resolve("follower.db");
        try (FileReplicaClient client = new FileReplicaClient(replicaDir); FollowRestore f = follower(client, out, false)) {
            f.start();
        }
        FollowTxidFile.write(out, 0x1000);
        try (FileReplicaClient client = new FileReplicaClient(replicaDir); FollowRestore f = follower(client, out, false)) {
            assertThatThrownBy(f::start).isInstanceOf(IOException.class)
                    .hasMessageContaining("is behind the followed database's 0000000000001000").hasMessageContaining("delete " + out);
        }
    }
}
