package io.litestream4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.Replicator;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class VfsSmokeTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void readsAReplicatedDatabase() throws Exception {
        Path db = dir.resolve("app.db");
        Path replica = dir.resolve("replica");
        try (Connection w = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = w.createStatement()) {
            st.execute("PRAGMA journal_mode=wal");
            st.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
            for (int i = 0; i < 1000; i++) {
                st.execute("INSERT INTO t(v) VALUES ('row " + i + "')");
            }
            try (Replicator r = Replicator.builder(db).replica(replica.toString()).syncInterval(Duration.ofMillis(100)).start()) {
                r.awaitReplicated(Duration.ofSeconds(30));
            }
        }
        try (LitestreamVfs vfs = LitestreamVfs.register("smoke", replica.toString(), VfsOptions.defaults());
             Connection r = DriverManager.getConnection(vfs.jdbcUrl());
             Statement st = r.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT count(*), max(v) FROM t")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(1000);
                assertThat(rs.getString(2)).isEqualTo("row 999");
            }
            assertThatThrownBy(() -> st.execute("INSERT INTO t(v) VALUES ('x')")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("SQLITE_READONLY");
        }
    }
}
