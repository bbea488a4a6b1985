package io.litestream4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.Replicator;
import io.litestream4j.replica.s3.S3ReplicaClient;
import io.litestream4j.replica.s3.S3TestServer;
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

/** The store going away under a reader: an SQL I/O error naming the file, the JVM and the connection live on. */
class S3OutageTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aStoreThatStopsAnsweringIsAnSqlErrorNotACrash() throws Exception {
        Path db = dir.resolve("app.db");
        try (Connection w = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = w.createStatement()) {
            st.execute("PRAGMA journal_mode=wal");
            st.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB NOT NULL)");
            st.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) INSERT INTO t(v) SELECT randomblob(1000) FROM n");
        }
        S3TestServer server = S3TestServer.start();
        try {
            server.createBucket("outage");
            try (S3ReplicaClient client = new S3ReplicaClient(server.settings("outage", "app"));
                 Replicator r = Replicator.builder(db).replica(client).start()) {
                r.awaitReplicated(Duration.ofSeconds(60));
            }
            try (LitestreamVfs vfs = LitestreamVfs.register("s3-outage", new S3ReplicaClient(server.settings("outage", "app")),
                    VfsOptions.defaults().withCacheBytes(0));
                 Connection c = DriverManager.getConnection(vfs.jdbcUrl()); Statement st = c.createStatement()) {
                st.execute("PRAGMA cache_size = 1");
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM t")) {
                    rs.next();
                    assertThat(rs.getLong(1)).isEqualTo(1000);
                }
                server.close();
                server = null;
                assertThatThrownBy(() -> st.executeQuery("SELECT sum(length(v)) FROM t").next()).isInstanceOf(SQLException.class)
                        .hasMessageContaining("SQLITE_IOERR");
                assertThat(vfs.lastError()).contains("0000000000000001-0000000000000001.ltx");
                // Still alive: the statement failed, the connection and the JVM did not.
                try (ResultSet rs = st.executeQuery("SELECT 42")) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(42);
                }
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }
}
