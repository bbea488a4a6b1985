package io.litestream4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.Replicator;
import io.litestream4j.Restore;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;
import io.litestream4j.ltx.ByteRangeReader;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.LtxPageReader;
import io.litestream4j.ltx.Txid;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Time travel against the real restore, writes refused, a shrinking database, and broken replica files under a reader. */
class VfsReadsTest {
    private static final AtomicInteger NAMES = new AtomicInteger();

    @TempDir
    Path dir;

    private Path db;
    private Path replica;

    private static String name(String what) {
        return "reads-" + what + "-" + NAMES.incrementAndGet();
    }

    /** Count, payload bytes, ids and a hash of every row: equal digests mean equal contents. */
    private static String digest(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*), coalesce(sum(length(v)), 0), coalesce(group_concat(id || ':' || hex(substr(v, 1, 8))), '') FROM t")) {
            rs.next();
            return rs.getLong(1) + "/" + rs.getLong(2) + "/" + rs.getString(3).hashCode();
        }
    }

    private static long count(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM t")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private Connection writer() throws SQLException {
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        try (Statement st = c.createStatement()) {
            st.execute("PRAGMA journal_mode=wal");
            st.execute("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v BLOB NOT NULL)");
        }
        return c;
    }

    private static void insert(Connection c, int rows, int bytes) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + rows + ") INSERT INTO t(v) SELECT randomblob(" + bytes + ") FROM n");
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void timeTravelByTxidAndTimestampEqualsTheRestore() throws Exception {
        db = dir.resolve("app.db");
        replica = dir.resolve("replica");
        List<Long> txids = new ArrayList<>();
        List<Instant> times = new ArrayList<>();
        try (Connection w = writer(); Replicator r = Replicator.builder(db).replica(replica.toString()).syncInterval(Duration.ofMillis(50)).start()) {
            for (int k = 0; k < 5; k++) {
                insert(w, 50 + 30 * k, 300);
                try (Statement st = w.createStatement()) {
                    st.execute("DELETE FROM t WHERE id % 7 = " + k);
                }
                r.sync();
                txids.add(r.awaitReplicated(Duration.ofSeconds(30)));
                Thread.sleep(20);
                times.add(Instant.now());
                Thread.sleep(20);
            }
        }
        try (LitestreamVfs vfs = LitestreamVfs.register(name("tt"), replica.toString(), VfsOptions.defaults())) {
            for (int k = 0; k < txids.size(); k++) {
                Path byTxid = dir.resolve("txid-" + k + ".db");
                Restore.from(replica.toString()).toTxid(txids.get(k)).into(byTxid);
                Path byTime = dir.resolve("time-" + k + ".db");
                Restore.from(replica.toString()).toTime(times.get(k)).into(byTime);
                try (Connection viaTxid = DriverManager.getConnection("jdbc:sqlite:file:tt.db?vfs=%s&txid=%s".formatted(vfs.name(), Txid.format(txids.get(k))));
                     Connection viaTime = DriverManager.getConnection("jdbc:sqlite:file:tt.db?vfs=%s&timestamp=%s".formatted(vfs.name(), times.get(k)));
                     Connection restoredTxid = DriverManager.getConnection("jdbc:sqlite:" + byTxid);
                     Connection restoredTime = DriverManager.getConnection("jdbc:sqlite:" + byTime)) {
                    assertThat(digest(viaTxid)).as("TXID %s", Txid.format(txids.get(k))).isEqualTo(digest(restoredTxid));
                    assertThat(digest(viaTime)).as("time %s", times.get(k)).isEqualTo(digest(restoredTime));
                    assertThat(digest(viaTime)).as("the state at %s is TXID %s's", times.get(k), Txid.format(txids.get(k))).isEqualTo(digest(restoredTxid));
                    if (k > 0) {
                        assertThat(digest(viaTxid)).isNotEqualTo(digest(dbAt(vfs, txids.get(k - 1))));
                    }
                }
            }
            try (Connection latest = DriverManager.getConnection(vfs.jdbcUrl()); Statement st = latest.createStatement();
                 ResultSet rs = st.executeQuery("PRAGMA integrity_check")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("ok");
                assertThat(vfs.servedTxid()).isEqualTo(txids.getLast());
            }
            assertThatThrownBy(() -> DriverManager.getConnection("jdbc:sqlite:file:tt.db?vfs=%s&txid=zz".formatted(vfs.name())).createStatement()
                    .executeQuery("SELECT 1 FROM t")).isInstanceOf(SQLException.class);
            assertThat(vfs.lastError()).contains("txid=zz").contains("16 digits");
        }
    }

    private static Connection dbAt(LitestreamVfs vfs, long txid) throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:file:tt.db?vfs=%s&txid=%s".formatted(vfs.name(), Txid.format(txid)));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void writesAreRefusedAsReadOnly() throws Exception {
        db = dir.resolve("app.db");
        replica = dir.resolve("replica");
        try (Connection w = writer(); Replicator r = Replicator.builder(db).replica(replica.toString()).start()) {
            insert(w, 10, 100);
            r.sync();
            r.awaitReplicated(Duration.ofSeconds(30));
        }
        try (LitestreamVfs vfs = LitestreamVfs.register(name("ro"), replica.toString(), VfsOptions.defaults());
             Connection c = DriverManager.getConnection(vfs.jdbcUrl()); Statement st = c.createStatement()) {
            for (String sql : List.of("INSERT INTO t(v) VALUES (x'00')", "DELETE FROM t", "CREATE TABLE u(x)", "PRAGMA journal_mode=delete")) {
                if (sql.startsWith("PRAGMA")) {
                    try (ResultSet rs = st.executeQuery(sql)) {
                        rs.next(); // a read-only database keeps its mode; nothing is written
                    }
                    continue;
                }
                assertThatThrownBy(() -> st.execute(sql)).as(sql).isInstanceOf(SQLException.class).hasMessageContaining("SQLITE_READONLY");
            }
            assertThat(count(c)).isEqualTo(10);
            assertThat(Files.exists(dir.resolve(vfs.name() + ".db"))).as("nothing created on disk").isFalse();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aDatabaseThatShrankIsReadFromAFreshIndex() throws Exception {
        db = dir.resolve("app.db");
        replica = dir.resolve("replica");
        try (Connection w = writer(); Replicator r = Replicator.builder(db).replica(replica.toString()).syncInterval(Duration.ofMillis(50)).start()) {
            insert(w, 2000, 500);
            r.sync();
            r.awaitReplicated(Duration.ofSeconds(30));
            try (LitestreamVfs vfs = LitestreamVfs.register(name("shrink"), replica.toString(), VfsOptions.defaults().withPollInterval(Duration.ofMillis(100)));
                 Connection c = DriverManager.getConnection(vfs.jdbcUrl())) {
                assertThat(count(c)).isEqualTo(2000);
                long before = pageCount(c);
                try (Statement st = w.createStatement()) {
                    st.execute("DELETE FROM t WHERE id > 100");
                    st.execute("VACUUM");
                }
                r.sync();
                long txid = r.awaitReplicated(Duration.ofSeconds(30));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (vfs.servedTxid() < txid && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(vfs.servedTxid()).isEqualTo(txid);
                assertThat(count(c)).isEqualTo(100);
                assertThat(pageCount(c)).isLessThan(before / 4);
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA integrity_check")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("ok");
                }
                try (Connection local = DriverManager.getConnection("jdbc:sqlite:" + db)) {
                    assertThat(digest(c)).isEqualTo(digest(local));
                }
            }
        }
    }

    private static long pageCount(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA page_count")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** A replica whose snapshot is too big to be fetched whole (so pages are read one by one). */
    private ReplicaClient bigReplica() throws Exception {
        db = dir.resolve("app.db");
        replica = dir.resolve("replica");
        try (Connection w = writer()) {
            insert(w, 1000, 1000); // before replication starts: the first snapshot holds them
        }
        try (Replicator r = Replicator.builder(db).replica(replica.toString()).start()) {
            r.awaitReplicated(Duration.ofSeconds(30));
        }
        ReplicaClient client = ReplicaClients.open(replica.toString());
        assertThat(snapshot(client).size()).isGreaterThan(ReplicaFile.WHOLE_FILE_BYTES);
        return client;
    }

    private static LtxFileInfo snapshot(ReplicaClient client) throws Exception {
        return io.litestream4j.core.restore.RestorePlanner.listAll(client).stream().filter(f -> f.minTxid() == 1).findFirst().orElseThrow();
    }

    private Path snapshotPath(ReplicaClient client) throws Exception {
        LtxFileInfo snapshot = snapshot(client);
        return replica.resolve("ltx").resolve(String.valueOf(snapshot.level())).resolve(snapshot.fileName());
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aCorruptPageFrameIsAnSqlErrorNamingTheFile() throws Exception {
        try (ReplicaClient client = bigReplica()) {
            Path snapshot = snapshotPath(client);
            var index = LtxPageReader.open(ByteRangeReader.of(snapshot), snapshot.toString()).index();
            long frame = index.offset(index.find(200).orElseThrow());
            try (RandomAccessFile f = new RandomAccessFile(snapshot.toFile(), "rw")) {
                f.seek(frame);
                f.writeInt(7); // the frame now claims to hold page 7
            }
            try (LitestreamVfs vfs = LitestreamVfs.register(name("corrupt"), replica.toString(), VfsOptions.defaults().withCacheBytes(0));
                 Connection c = DriverManager.getConnection(vfs.jdbcUrl()); Statement st = c.createStatement()) {
                assertThatThrownBy(() -> st.executeQuery("SELECT sum(length(v)) FROM t").next()).isInstanceOf(SQLException.class)
                        .hasMessageContaining("SQLITE_IOERR");
                assertThat(vfs.lastError()).contains(snapshot.getFileName().toString()).contains("want page 200, got 7");
                // The JVM and the connection live on: a query not touching the page still works.
                try (ResultSet rs = st.executeQuery("SELECT v IS NOT NULL FROM t WHERE id = 1")) {
                    assertThat(rs.next()).isTrue();
                }
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aFileMissingUnderAReaderIsAnSqlErrorNamingIt() throws Exception {
        try (ReplicaClient client = bigReplica()) {
            Path snapshot = snapshotPath(client);
            try (LitestreamVfs vfs = LitestreamVfs.register(name("missing"), replica.toString(), VfsOptions.defaults().withCacheBytes(0));
                 Connection c = DriverManager.getConnection(vfs.jdbcUrl()); Statement st = c.createStatement()) {
                assertThat(count(c)).isEqualTo(1000);
                Files.delete(snapshot);
                assertThatThrownBy(() -> st.executeQuery("SELECT sum(length(v)) FROM t").next()).isInstanceOf(SQLException.class)
                        .hasMessageContaining("SQLITE_IOERR");
                assertThat(vfs.lastError()).contains(snapshot.getFileName().toString()).contains("can no longer be rebuilt");
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aReadTransactionSurvivesItsFilesBeingCompactedAway() throws Exception {
        try (ReplicaClient client = bigReplica()) {
            try (Connection w = writer(); Replicator r = Replicator.builder(db).replica(replica.toString()).start()) {
                insert(w, 5, 100);
                r.sync();
                r.awaitReplicated(Duration.ofSeconds(30));
            }
            try (LitestreamVfs vfs = LitestreamVfs.register(name("compacted"), replica.toString(), VfsOptions.defaults().withCacheBytes(0));
                 Connection c = DriverManager.getConnection(vfs.jdbcUrl()); Statement st = c.createStatement()) {
                st.execute("PRAGMA cache_size = 1"); // SQLite's own page cache would spare the VFS the reads
                st.execute("BEGIN");
                assertThat(count(c)).isEqualTo(1005);
                String before;
                try (Connection local = DriverManager.getConnection("jdbc:sqlite:" + db)) {
                    before = digest(local);
                }
                // What a snapshot job and retention do: every file merged into one level-9
                // snapshot of the same TXID, then the files the reader's state uses deleted.
                List<LtxFileInfo> all = io.litestream4j.core.restore.RestorePlanner.plan(client, java.util.OptionalLong.empty()).files();
                long txid = all.getLast().maxTxid();
                Path merged = dir.resolve("merged.ltx");
                List<io.litestream4j.ltx.LtxDecoder> inputs = new ArrayList<>();
                try (var out = Files.newOutputStream(merged)) {
                    for (LtxFileInfo f : all) {
                        inputs.add(new io.litestream4j.ltx.LtxDecoder(client.open(f.level(), f.range()), f.fileName()));
                    }
                    io.litestream4j.ltx.LtxCompactor.compact(inputs, out, "merged");
                } finally {
                    for (var d : inputs) {
                        d.close();
                    }
                }
                try (var in = Files.newInputStream(merged)) {
                    client.write(LtxFileInfo.SNAPSHOT_LEVEL, new io.litestream4j.ltx.TxidRange(1, txid), in, Files.size(merged), Instant.now());
                }
                for (LtxFileInfo f : all) {
                    client.delete(f.level(), f.range());
                }
                // The same read transaction goes on over the new file: same TXID, same contents.
                long misses = vfs.cacheMisses();
                assertThat(digest(c)).isEqualTo(before);
                assertThat(vfs.cacheMisses()).as("pages read from the replica after the deletion").isGreaterThan(misses + 200);
                st.execute("COMMIT");
                assertThat(digest(c)).isEqualTo(before);
                assertThat(vfs.servedTxid()).isEqualTo(txid);
            }
        }
    }
}
