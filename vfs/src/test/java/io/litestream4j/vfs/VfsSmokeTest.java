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

/** Registration: two replicas in one process side by side, names that clash, sequential scans read ahead under the cache bound. */
class VfsSmokeTest {
    @TempDir
    Path dir;

    private Path replicate(String name, int rows) throws Exception {
        Path db = dir.resolve(name + ".db");
        Path replica = dir.resolve(name + "-replica");
        try (Connection w = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = w.createStatement()) {
            st.execute("PRAGMA journal_mode=wal");
            st.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
            st.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + rows
                    + ") INSERT INTO t(v) SELECT printf('%s row %d %0400d', '" + name + "', i, i) FROM n");
        }
        try (Replicator r = Replicator.builder(db).replica(replica.toString()).start()) {
            r.awaitReplicated(Duration.ofSeconds(30));
        }
        return replica;
    }

    private static String last(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) || ' ' || max(substr(v, 1, 20)) FROM t")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void twoReplicasSideBySideAndNamesThatClash() throws Exception {
        Path a = replicate("alpha", 100);
        Path b = replicate("beta", 200);
        try (LitestreamVfs va = LitestreamVfs.register("smoke-alpha", a.toString(), VfsOptions.defaults());
             LitestreamVfs vb = LitestreamVfs.register("smoke-beta", b.toString(), VfsOptions.defaults());
             Connection ca = DriverManager.getConnection(va.jdbcUrl());
             Connection cb = DriverManager.getConnection(vb.jdbcUrl())) {
            try (Connection la = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("alpha.db"));
                 Connection lb = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("beta.db"))) {
                assertThat(last(ca)).startsWith("100 alpha").isEqualTo(last(la));
                assertThat(last(cb)).startsWith("200 beta").isEqualTo(last(lb));
            }
            assertThatThrownBy(() -> LitestreamVfs.register("smoke-alpha", b.toString(), VfsOptions.defaults()))
                    .isInstanceOf(SQLException.class).hasMessageContaining("already registered");
            assertThatThrownBy(() -> LitestreamVfs.register("unix", b.toString(), VfsOptions.defaults()))
                    .isInstanceOf(SQLException.class).hasMessageContaining("already registered");
        }
        assertThatThrownBy(() -> DriverManager.getConnection("jdbc:sqlite:file:x.db?vfs=smoke-alpha").createStatement().executeQuery("SELECT 1"))
                .as("a closed VFS is gone from SQLite").isInstanceOf(SQLException.class).hasMessageContaining("no such vfs");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aSequentialScanReadsAheadAndTheCacheStaysWithinItsBound() throws Exception {
        Path replica = replicate("scan", 20_000); // about 2,500 pages in a snapshot too big to be fetched whole
        long bound = 1L << 20;
        try (LitestreamVfs vfs = LitestreamVfs.register("smoke-scan", replica.toString(), VfsOptions.defaults().withCacheBytes(bound));
             Connection c = DriverManager.getConnection(vfs.jdbcUrl()); Statement st = c.createStatement()) {
            st.execute("PRAGMA cache_size = 1"); // let every page read reach the VFS
            long pages;
            try (ResultSet rs = st.executeQuery("PRAGMA page_count")) {
                rs.next();
                pages = rs.getLong(1);
            }
            assertThat(last(c)).startsWith("20000 ");
            // Read-ahead: the pages come in windows of 32 and more, so most reads hit the cache.
            assertThat(vfs.cacheMisses()).as("misses for a scan of %d pages", pages).isLessThan(pages / 8);
            assertThat(vfs.cacheHits()).isGreaterThan(pages / 2);
            assertThat(vfs.cacheBytes()).isPositive().isLessThanOrEqualTo(bound);
            assertThat(vfs.metrics()).containsEntry("litestream_vfs_cache_misses_total", vfs.cacheMisses())
                    .containsEntry("litestream_vfs_cache_bytes", vfs.cacheBytes()).containsEntry("litestream_vfs_lag_txids", 0L)
                    .containsEntry("litestream_vfs_txid", vfs.servedTxid());
            assertThat(vfs.bytesFetched()).as("bytes fetched (LZ4-compressed frames)").isPositive();
        }
    }
}
