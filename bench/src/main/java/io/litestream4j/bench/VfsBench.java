package io.litestream4j.bench;

import io.litestream4j.Replicator;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;
import io.litestream4j.replica.s3.S3ReplicaClient;
import io.litestream4j.replica.s3.S3TestServer;
import io.litestream4j.vfs.LitestreamVfs;
import io.litestream4j.vfs.VfsOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Read replicas through the VFS next to a local copy: point reads by rowid, a full scan, the
 * first query from a cold start (registration included), and the memory the page cache holds
 * under its bound. The database (ROWS rows of about 300 bytes) is replicated once to a file
 * replica and to S3Proxy on loopback, then read three ways.
 *
 * <pre>
 * ./mvnw -q -pl bench -am package -DskipTests
 * java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar io.litestream4j.bench.VfsBench [ROWS] [POINT_READS]
 * </pre>
 */
public final class VfsBench {
    private static final long CACHE_BYTES = 8L << 20;

    private VfsBench() {}

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int reads = args.length > 1 ? Integer.parseInt(args[1]) : 5_000;
        Path dir = Files.createTempDirectory("vfs-bench");
        Path db = dir.resolve("app.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute("PRAGMA journal_mode=wal");
            st.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, payload BLOB NOT NULL)");
            st.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + rows
                    + ") INSERT INTO t SELECT i, 'customer ' || i, randomblob(150) || zeroblob(100) FROM n");
        }
        try (S3TestServer server = S3TestServer.start()) {
            server.createBucket("bench");
            Path fileReplica = dir.resolve("replica");
            replicate(db, ReplicaClients.open(fileReplica.toString()));
            replicate(db, new S3ReplicaClient(server.settings("bench", "app")));
            long pages;
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("PRAGMA page_count")) {
                rs.next();
                pages = rs.getLong(1);
            }
            System.out.printf("VFS bench: %d rows, %d pages of 4 KiB (%.1f MiB), %d random point reads, VFS page cache bound %d MiB%n%n",
                    rows, pages, pages * 4096 / 1048576.0, reads, CACHE_BYTES >> 20);
            System.out.printf("%-22s %12s %10s %10s %10s %12s %12s %14s %12s%n", "source", "first query", "point p50", "point p99", "point avg",
                    "scan cold", "scan warm", "fetched MiB", "cache MiB");
            run("local file (unix VFS)", null, "jdbc:sqlite:" + db, rows, reads);
            run("VFS, file replica", () -> LitestreamVfs.register("bench-file", fileReplica.toString(), VfsOptions.defaults().withCacheBytes(CACHE_BYTES)),
                    null, rows, reads);
            run("VFS, S3 on loopback", () -> LitestreamVfs.register("bench-s3", new S3ReplicaClient(server.settings("bench", "app")),
                    VfsOptions.defaults().withCacheBytes(CACHE_BYTES)), null, rows, reads);
        }
    }

    private static void replicate(Path db, ReplicaClient client) throws Exception {
        try (client; Replicator r = Replicator.builder(db).replica(client).start()) {
            r.sync();
            r.awaitReplicated(Duration.ofMinutes(5));
        }
    }

    interface VfsFactory {
        LitestreamVfs open() throws Exception;
    }

    private static void run(String label, VfsFactory factory, String url, int rows, int reads) throws Exception {
        System.gc();
        long t0 = System.nanoTime();
        LitestreamVfs vfs = factory == null ? null : factory.open();
        try (Connection c = DriverManager.getConnection(vfs == null ? url : vfs.jdbcUrl());
             PreparedStatement point = c.prepareStatement("SELECT name FROM t WHERE id = ?")) {
            point(point, rows / 2);
            double first = (System.nanoTime() - t0) / 1e6;
            double scanCold = scan(c);
            double scanWarm = Double.MAX_VALUE;
            for (int i = 0; i < 3; i++) {
                scanWarm = Math.min(scanWarm, scan(c));
            }
            SplittableRandom random = new SplittableRandom(42);
            for (int i = 0; i < reads / 5; i++) {
                point(point, 1 + random.nextInt(rows)); // warm-up
            }
            long[] us = new long[reads];
            for (int i = 0; i < reads; i++) {
                long s = System.nanoTime();
                point(point, 1 + random.nextInt(rows));
                us[i] = (System.nanoTime() - s) / 1000;
            }
            Arrays.sort(us);
            double avg = Arrays.stream(us).average().orElse(0);
            System.out.printf("%-22s %9.1f ms %7d us %7d us %7.1f us %9.0f ms %9.0f ms %14s %12s%n", label, first, us[reads / 2], us[reads * 99 / 100], avg,
                    scanCold, scanWarm, vfs == null ? "-" : "%.1f".formatted(vfs.bytesFetched() / 1048576.0),
                    vfs == null ? "-" : "%.1f".formatted(vfs.cacheBytes() / 1048576.0));
        } finally {
            if (vfs != null) {
                vfs.close();
            }
        }
    }

    private static void point(PreparedStatement point, int id) throws SQLException {
        point.setInt(1, id);
        try (ResultSet rs = point.executeQuery()) {
            if (!rs.next()) {
                throw new IllegalStateException("row " + id + " missing");
            }
        }
    }

    private static double scan(Connection c) throws SQLException {
        long s = System.nanoTime();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT sum(length(payload)) FROM t")) {
            rs.next();
        }
        return (System.nanoTime() - s) / 1e6;
    }
}
