package io.litestream4j.core;

import io.litestream4j.DatabaseOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.compaction.ReplicaCompactor;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import io.litestream4j.ltx.PageSizes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Timeout;

/**
 * A database growing past 1 GiB crosses SQLite's lock page, which is never written and never
 * stored: replication and restore must skip it and still restore every page around it.
 */
@Timeout(3600) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class LockPageIT {
    @TempDir
    Path dir;

    /**
     * The lock page is at byte 1 GiB whatever the page size, so every database crossing it is over
     * 1 GiB; small pages only mean more of them (a million at 1 KiB). CI runs 64 KiB pages (the
     * fewest, the fastest); the soak profile adds 4096, 1024 and 512; {@code -Dlockpage.pageSizes}
     * chooses others.
     */
    static java.util.stream.IntStream pageSizes() {
        String chosen = System.getProperty("lockpage.pageSizes"); // e.g. -Dlockpage.pageSizes=1024
        if (chosen != null && !chosen.isBlank()) {
            return java.util.Arrays.stream(chosen.split(",")).mapToInt(p -> Integer.parseInt(p.strip()));
        }
        return Soak.enabled() ? java.util.stream.IntStream.of(65536, 4096, 1024, 512) : java.util.stream.IntStream.of(65536);
    }

    @ParameterizedTest
    @MethodSource("pageSizes")
    void databaseGrowingPastTheLockPageReplicatesCompactsAndRestores(int pageSize) throws Exception {
        Path db = TestDb.create(dir, "big.db", pageSize, 10);
        Path replica = dir.resolve("replica");
        DatabaseReplicator r = DatabaseReplicator.start(db, DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(200)),
                List.of(new DatabaseReplicator.Destination(new FileReplicaClient(replica), Duration.ZERO)), Clock.systemUTC());
        long pages;
        try (Connection c = TestDb.open(db)) {
            TestDb.exec(c, "CREATE TABLE big (id INTEGER PRIMARY KEY, v BLOB)");
            for (int i = 0; i < 9; i++) {
                TestDb.exec(c, "INSERT INTO big (v) VALUES (zeroblob(128 * 1024 * 1024))");
            }
            // Rows with real data land above the lock page.
            TestDb.insert(c, 500, 3000);
            pages = TestDb.queryLong(c, "PRAGMA page_count");
        }
        assertThat(pages).as("database pages").isGreaterThan(PageSizes.lockPgno(pageSize));
        assertThat(r.stop(Duration.ofSeconds(300))).isTrue();
        r.close();
        try (Connection c = TestDb.open(db)) {
            pages = TestDb.queryLong(c, "PRAGMA page_count"); // with Litestream's tables, made by a sync after the writes
        }

        // From the L0 files, then from a level-1 compaction and a snapshot merged over the lock page.
        assertRestores(replica, db, pages, "restored-l0.db");
        try (FileReplicaClient client = new FileReplicaClient(replica)) {
            ReplicaCompactor compactor = new ReplicaCompactor(client, dir.resolve("tmp"));
            assertThat(compactor.compact(1)).isPresent();
            assertThat(compactor.snapshot()).isPresent();
            assertThat(RestorePlanner.plan(client, OptionalLong.empty()).files()).as("restore plan from the snapshot")
                    .first().extracting(f -> f.level()).isEqualTo(io.litestream4j.ltx.LtxFileInfo.SNAPSHOT_LEVEL);
        }
        assertRestores(replica, db, pages, "restored-snapshot.db");
    }

    private void assertRestores(Path replica, Path db, long pages, String name) throws Exception {
        Path out = dir.resolve(name);
        try (FileReplicaClient client = new FileReplicaClient(replica)) {
            var result = Restorer.restore(client, RestorePlanner.plan(client, OptionalLong.empty()),
                    new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.FULL, false));
            assertThat(result.checksumVerified()).isTrue();
        }
        assertThat(TestDb.integrityCheck(out)).isEqualTo("ok");
        try (Connection a = TestDb.open(out); Connection b = TestDb.open(db)) {
            assertThat(TestDb.queryLong(a, "PRAGMA page_count")).isEqualTo(pages);
            assertThat(TestDb.queryLong(a, "SELECT sum(length(v)) FROM big")).isEqualTo(TestDb.queryLong(b, "SELECT sum(length(v)) FROM big"));
            assertThat(digestOfT(a)).isEqualTo(digestOfT(b));
        }
        Files.delete(out);
    }

    private static String digestOfT(Connection c) throws Exception {
        try (var st = c.createStatement(); var rs = st.executeQuery("SELECT group_concat(hex(v), ',') FROM (SELECT v FROM t ORDER BY id)")) {
            rs.next();
            return Integer.toHexString(rs.getString(1).hashCode()) + ":" + rs.getString(1).length();
        }
    }
}
