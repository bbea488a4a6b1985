package io.litestream4j.core;

import io.litestream4j.DatabaseOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk, for real (a small tmpfs, see {@link Tmpfs}: root only), under the file replica and
 * under the local state folder: the error names the file and says "No space left on device", the
 * replica's health (or the database's sync) turns red, what the replica holds still restores, and
 * once there is space again replication catches up by itself and the restore equals the source.
 */
@Timeout(300) // a hang ends; the waits below are bounded by far less
class DiskFullTest {
    private static final DatabaseOptions FAST = DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(100));
    private static final long SMALL = 1 << 20;
    private static final long LARGE = 256L << 20;

    @TempDir
    Path dir;

    private static DatabaseReplicator start(Path db, Path replica, DatabaseOptions options) throws Exception {
        return DatabaseReplicator.start(db, options, List.of(new DatabaseReplicator.Destination(new FileReplicaClient(replica), Duration.ZERO)),
                Clock.systemUTC());
    }

    /** Waits up to {@code seconds} for {@code condition}; false if it never held. */
    private static boolean await(int seconds, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    private Path restore(Path replica, String name) throws Exception {
        Path out = dir.resolve(name);
        try (FileReplicaClient client = new FileReplicaClient(replica)) {
            var plan = RestorePlanner.plan(client, OptionalLong.empty());
            Restorer.restore(client, plan, new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.FULL, true));
        }
        assertThat(TestDb.integrityCheck(out)).isEqualTo("ok");
        return out;
    }

    private static long rows(Path db) throws Exception {
        try (Connection c = TestDb.open(db)) {
            return TestDb.queryLong(c, "SELECT count(*) FROM t");
        }
    }

    @Test
    void aFullReplicaTurnsHealthRedKeepsWhatItHoldsAndCatchesUpWhenSpaceReturns() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        try (Tmpfs disk = Tmpfs.mount(dir.resolve("replica-disk"), SMALL)) {
            Path replica = disk.dir().resolve("replica");
            DatabaseReplicator r = start(db, replica, FAST);
            try (Connection c = TestDb.open(db)) {
                // Random rows do not compress: a few MiB fill the 1 MiB disk.
                for (int i = 0; i < 200 && r.replicaStatuses().getFirst().lastError() == null; i++) {
                    TestDb.insert(c, 20, 3000);
                    Thread.sleep(20);
                }
            }
            assertThat(await(30, () -> r.replicaStatuses().getFirst().lastError() != null)).as("health turned red").isTrue();
            String problem = r.replicaStatuses().getFirst().lastError();
            System.out.println("DiskFullTest replica full: " + problem);
            assertThat(problem).contains("No space left on device").contains(replica.toString());
            assertThat(r.replicaPositions().getFirst()).as("the replica is behind").isLessThan(r.database().txid());

            // What the replica holds is still a whole backup of an earlier state.
            Path before = restore(replica, "while-full.db");
            assertThat(rows(before)).isBetween(10L, rows(db));

            disk.resize(LARGE);
            assertThat(await(60, () -> r.replicaPositions().getFirst() == r.database().txid() && r.replicaStatuses().getFirst().lastError() == null))
                    .as("caught up, health green: %s", r.replicaStatuses().getFirst()).isTrue();
            assertThat(r.stop(Duration.ofSeconds(30))).isTrue();
            r.close();
            assertThat(TestDb.digest(restore(replica, "after.db"))).isEqualTo(TestDb.digest(db));
        }
    }

    @Test
    void aFullLocalStateFolderFailsTheSyncNamingTheFileAndResumesWhenSpaceReturns() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        try (Tmpfs disk = Tmpfs.mount(dir.resolve("state-disk"), SMALL)) {
            Path meta = disk.dir().resolve("app.db-litestream");
            DatabaseReplicator r = start(db, replica, FAST.withMetaPath(meta));
            try (Connection c = TestDb.open(db)) {
                // Uploaded local files are deleted at once: only one sync bigger than the disk fills it.
                TestDb.insert(c, 700, 3000);
                assertThat(await(30, () -> r.lastError() != null)).as("the sync failed").isTrue();
                String problem = r.lastError();
                System.out.println("DiskFullTest local state full: " + problem);
                assertThat(problem).contains("No space left on device").contains(meta.toString());
                // The application goes on writing meanwhile; nothing it commits may be lost.
                TestDb.insert(c, 5, 100);
            }
            Path before = restore(replica, "while-full.db");
            assertThat(rows(before)).isBetween(10L, rows(db));

            disk.resize(LARGE);
            assertThat(await(60, () -> r.lastError() == null && r.replicaPositions().getFirst() == r.database().txid()
                    && r.replicaStatuses().getFirst().lastError() == null)).as("resumed: %s", r.lastError()).isTrue();
            try (Connection c = TestDb.open(db)) {
                TestDb.insert(c, 5, 100);
            }
            assertThat(r.stop(Duration.ofSeconds(30))).isTrue();
            r.close();
            assertThat(TestDb.digest(restore(replica, "after.db"))).isEqualTo(TestDb.digest(db));
        }
    }
}
