package io.litestream4j.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.Replicator;
import io.litestream4j.Restore;
import io.litestream4j.core.LiveThreads;
import io.litestream4j.core.TestDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConnection;

/** The driver, used as an application would: real SQLite, real concurrent writers, restores into fresh folders. */
@Timeout(300) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class LitestreamDriverTest {
    @TempDir
    Path dir;

    /**
     * The demo application: a few threads, each with its own connection from the driver, write
     * orders at once; when the last connection closes, replication has stopped with everything on
     * the replica.
     */
    static void runShop(String url, int clerks, int ordersEach) throws Exception {
        try (Connection setup = DriverManager.getConnection(url); Statement st = setup.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, clerk INTEGER, item TEXT)");
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            for (int c = 0; c < clerks; c++) {
                int clerk = c;
                threads.add(Thread.ofPlatform().name("clerk " + c).start(() -> {
                    try (Connection conn = DriverManager.getConnection(url);
                            PreparedStatement ps = conn.prepareStatement("INSERT INTO orders (clerk, item) VALUES (?, ?)")) {
                        for (int i = 0; i < ordersEach; i++) {
                            ps.setInt(1, clerk);
                            ps.setString(2, "item " + i + " ".repeat(i % 50));
                            ps.executeUpdate();
                        }
                    } catch (SQLException e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join(120_000);
            }
            assertThat(failures).as("no clerk saw an error (SQLITE_BUSY...)").isEmpty();
        }
    }

    @Test
    void anAppWritingThroughTheDriverIsRestoredOnAFreshFolder() throws Exception {
        Path app = dir.resolve("app").resolve("shop.db");
        Path replica = dir.resolve("replica");
        String url = "jdbc:litestream:" + app + "?replica=" + replica + "&sync-interval=100ms&busy_timeout=10000";

        runShop(url, 4, 300); // the database does not exist yet, nor does the replica: created empty
        assertThat(LiveThreads.named(dir.toString())).as("threads left once the last connection closed").isEmpty();
        assertThat(LitestreamDriver.replicator(app)).isNull();

        Path fresh = dir.resolve("fresh").resolve("shop.db");
        Restore.from(replica.toString()).into(fresh);
        try (Connection c = TestDb.open(fresh)) {
            assertThat(TestDb.queryLong(c, "SELECT count(*) FROM orders")).isEqualTo(4 * 300);
        }
        assertThat(TestDb.digest(fresh)).isEqualTo(TestDb.digest(app));

        // The machine is lost: the first connection on a new one restores, then replication continues.
        Path other = dir.resolve("other-machine").resolve("shop.db");
        String otherUrl = "jdbc:litestream:" + other + "?replica=" + replica + "&sync-interval=100ms&busy_timeout=10000";
        runShop(otherUrl, 2, 50);
        try (Connection c = TestDb.open(other)) {
            assertThat(TestDb.queryLong(c, "SELECT count(*) FROM orders")).isEqualTo(4 * 300 + 2 * 50);
        }
        Path again = dir.resolve("again.db");
        Restore.from(replica.toString()).into(again);
        assertThat(TestDb.digest(again)).isEqualTo(TestDb.digest(other));
    }

    @Test
    void connectionsAreSqliteJdbcsWithTheirParametersAndShareOneReplication() throws Exception {
        Path db = dir.resolve("app.db");
        String url = "jdbc:litestream:" + db + "?replica=file://" + dir.resolve("replica") + "&foreign_keys=true";
        try (Connection a = DriverManager.getConnection(url); Connection b = DriverManager.getConnection(url)) {
            assertThat(a).isInstanceOf(SQLiteConnection.class);
            assertThat(TestDb.queryLong(a, "PRAGMA foreign_keys")).as("sqlite-jdbc's parameter applied").isEqualTo(1);
            Replicator replicator = LitestreamDriver.replicator(db);
            assertThat(replicator).isNotNull();
            TestDb.exec(a, "CREATE TABLE t (x)", "INSERT INTO t VALUES (1)");
            a.close();
            assertThat(LitestreamDriver.replicator(db)).as("one connection still open").isSameAs(replicator);
            long txid = replicator.awaitReplicated(Duration.ofSeconds(60));
            assertThat(replicator.status().replicas().getFirst().txid()).isGreaterThanOrEqualTo(txid);
            TestDb.exec(b, "INSERT INTO t VALUES (2)");
        }
        assertThat(LitestreamDriver.replicator(db)).isNull();
        Path restored = dir.resolve("restored.db");
        Restore.from(dir.resolve("replica").toString()).into(restored);
        try (Connection c = TestDb.open(restored)) {
            assertThat(TestDb.queryLong(c, "SELECT sum(x) FROM t")).as("the last insert, taken by the final sync").isEqualTo(3);
        }
    }

    @Test
    void aBadUrlOrAReplicaItCannotUseIsAnErrorSayingWhat() throws Exception {
        assertThatThrownBy(() -> DriverManager.getConnection("jdbc:litestream:" + dir.resolve("a.db")))
                .isInstanceOf(SQLException.class).hasMessageContaining("no replica: add ?replica=URL");
        assertThatThrownBy(() -> DriverManager.getConnection("jdbc:litestream:" + dir.resolve("a.db") + "?replica=x&sync-interval=soon"))
                .isInstanceOf(SQLException.class).hasMessageContaining("sync-interval=soon: want a duration");
        assertThatThrownBy(() -> DriverManager.getConnection("jdbc:litestream:" + dir.resolve("a.db") + "?replica=nosuch://bucket"))
                .isInstanceOf(SQLException.class).hasMessageContaining("unknown scheme \"nosuch\"");
        assertThat(LitestreamDriver.replicator(dir.resolve("a.db"))).isNull();

        String url = "jdbc:litestream:" + dir.resolve("b.db") + "?replica=" + dir.resolve("one");
        try (Connection c = DriverManager.getConnection(url)) {
            assertThatThrownBy(() -> DriverManager.getConnection("jdbc:litestream:" + dir.resolve("b.db") + "?replica=" + dir.resolve("two")))
                    .isInstanceOf(SQLException.class).hasMessageContaining("already replicated to");
        }
        assertThat(Files.exists(dir.resolve("b.db"))).isTrue();
    }
}
