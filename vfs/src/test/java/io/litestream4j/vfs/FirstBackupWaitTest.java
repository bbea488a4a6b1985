package io.litestream4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.Replicator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opening the newest state of a replica that holds no backup yet: the open waits up to
 * {@code openWait} for the first snapshot (and reads it when it arrives in time), else fails with
 * an SQL error while the log and {@code lastError()} name the replica.
 */
class FirstBackupWaitTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anOpenFailsAfterTheBoundNamingTheReplica() throws Exception {
        Path replica = Files.createDirectories(dir.resolve("empty"));
        try (LitestreamVfs vfs = LitestreamVfs.register("wait-none-" + System.nanoTime(), replica.toString(),
                VfsOptions.defaults().withPollInterval(Duration.ofMillis(100)).withOpenWait(Duration.ofMillis(300)))) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> {
                try (Connection c = DriverManager.getConnection(vfs.jdbcUrl()); Statement st = c.createStatement()) {
                    st.executeQuery("SELECT count(*) FROM sqlite_master").close();
                }
            }).isInstanceOf(SQLException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the open waited its bound, not much more").isGreaterThanOrEqualTo(Duration.ofMillis(300));
            assertThat(vfs.lastError()).contains("holds no backup yet").contains(replica.toString()).contains("waited");
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void anOpenWaitingForTheFirstSnapshotReadsItWhenItArrives() throws Exception {
        Path db = dir.resolve("app.db");
        Path replica = Files.createDirectories(dir.resolve("replica"));
        try (Connection w = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = w.createStatement()) {
            st.execute("PRAGMA journal_mode=wal");
            st.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)");
            st.execute("INSERT INTO t(v) VALUES (randomblob(10)), (randomblob(10)), (randomblob(10))");
        }
        try (LitestreamVfs vfs = LitestreamVfs.register("wait-some-" + System.nanoTime(), replica.toString(),
                VfsOptions.defaults().withPollInterval(Duration.ofMillis(100)).withOpenWait(Duration.ofSeconds(60)))) {
            CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> {
                try (Connection c = DriverManager.getConnection(vfs.jdbcUrl()); Statement st = c.createStatement();
                        ResultSet rs = st.executeQuery("SELECT count(*) FROM t")) {
                    rs.next();
                    return rs.getLong(1);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(500);
            assertThat(reader).as("an open before the first backup").isNotDone();
            try (Replicator r = Replicator.builder(db).replica(replica.toString()).start()) {
                r.sync();
                r.awaitReplicated(Duration.ofSeconds(30));
            }
            assertThat(reader.get(60, TimeUnit.SECONDS)).isEqualTo(3);
        }
    }
}
