package io.litestream4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import io.litestream4j.ltx.PageSizes;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Timeout;

/**
 * A database growing past 1 GiB crosses SQLite's lock page, which is never written and never
 * stored: replication and restore must skip it and still restore every page around it.
 */
@Timeout(600) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class LockPageIT {
    @TempDir
    Path dir;

    @Test
    void databaseGrowingPastTheLockPage() throws Exception {
        int pageSize = 65536;
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
        assertThat(r.stop(Duration.ofSeconds(120))).isTrue();
        r.close();

        Path out = dir.resolve("restored.db");
        try (FileReplicaClient client = new FileReplicaClient(replica)) {
            var result = Restorer.restore(client, RestorePlanner.plan(client, OptionalLong.empty()),
                    new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.FULL, false));
            assertThat(result.checksumVerified()).isTrue();
        }
        try (Connection a = TestDb.open(out); Connection b = TestDb.open(db)) {
            assertThat(TestDb.queryLong(a, "PRAGMA page_count")).isEqualTo(pages);
            assertThat(TestDb.queryLong(a, "SELECT sum(length(v)) FROM big")).isEqualTo(TestDb.queryLong(b, "SELECT sum(length(v)) FROM big"));
            assertThat(digestOfT(a)).isEqualTo(digestOfT(b));
        }
    }

    private static String digestOfT(Connection c) throws Exception {
        try (var st = c.createStatement(); var rs = st.executeQuery("SELECT group_concat(hex(v), ',') FROM (SELECT v FROM t ORDER BY id)")) {
            rs.next();
            return Integer.toHexString(rs.getString(1).hashCode()) + ":" + rs.getString(1).length();
        }
    }
}
