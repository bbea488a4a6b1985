package io.litestream4j.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.Replicator;
import io.litestream4j.Restore;
import io.litestream4j.core.TestDb;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Use it as a library" examples, run as written: only the paths differ (a
 * temporary folder instead of /var/backups and /data). Keep the two in step.
 */
@Timeout(300) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class ReadmeExamplesTest {
    @TempDir
    Path dir;

    @Test
    void theLibraryExample() throws Exception {
        Path app = dir.resolve("app.db");
        try (Connection c = TestDb.open(app)) {
            TestDb.exec(c, "CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT)");
        }
        Replicator.Status[] seen = new Replicator.Status[1];
        long[] replicated = new long[1];
        // --- as in the README, from here (paths aside) ---
        Path db = app;                                        // an existing SQLite database (switched to WAL mode)
        String replica = "file://" + dir.resolve("backups");  // or s3://bucket/app, or a plain folder

        try (Replicator replicator = Replicator.builder(db).replica(replica).start();
                Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            c.createStatement().execute("INSERT INTO orders (item) VALUES ('tea')");
            long txid = replicator.awaitReplicated(Duration.ofSeconds(10)); // the insert is on every replica
            Replicator.Status status = replicator.status();                 // local TXID; per replica: TXID, lag, problems
            seen[0] = status;
            replicated[0] = txid;
        }   // close(): a final sync, waits for the replicas, stops every thread it started

        Restore.Result latest = Restore.from(replica).into(dir.resolve("restored.db"));
        Restore.from(replica).toTxid(latest.txid()).into(dir.resolve("at-txid.db"));
        Restore.from(replica).toTime(Instant.now()).into(dir.resolve("at-time.db"));
        // --- to here ---
        assertThat(seen[0].replicas()).singleElement().satisfies(s -> assertThat(s.txid()).isGreaterThanOrEqualTo(replicated[0]));
        for (String restored : new String[] {"restored.db", "at-txid.db", "at-time.db"}) {
            try (Connection c = TestDb.open(dir.resolve(restored))) {
                assertThat(TestDb.queryLong(c, "SELECT count(*) FROM orders WHERE item = 'tea'")).as(restored).isEqualTo(1);
            }
        }
    }

    @Test
    void theJdbcExample() throws Exception {
        Path data = dir.resolve("data");
        // --- as in the README (a folder replica instead of s3://, which needs replica-s3 and a bucket) ---
        String url = "jdbc:litestream:" + data.resolve("shop.db") + "?replica=" + dir.resolve("shop-replica") + "&sync-interval=1s&busy_timeout=5000";
        try (Connection c = DriverManager.getConnection(url)) {
            c.createStatement().execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT)");
            c.createStatement().execute("INSERT INTO orders (item) VALUES ('tea')");
        }
        // --- to here ---
        Path restored = dir.resolve("fresh").resolve("shop.db");
        Restore.from(dir.resolve("shop-replica").toString()).into(restored);
        try (Connection c = TestDb.open(restored)) {
            assertThat(TestDb.queryLong(c, "SELECT count(*) FROM orders")).isEqualTo(1);
        }
    }
}
