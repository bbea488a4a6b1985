package io.litestream4j.bench;

import io.litestream4j.DatabaseOptions;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.compaction.ReplicaCompactor;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.ltx.LtxFileInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Restore benchmark: a database of the given size (1 GiB by default) replicated to a file replica
 * that holds a snapshot (level 9), compacted levels (1 and 2) and 1,000 L0 files; then the real
 * {@code bin/litestream restore} with a 256 MB heap cap, timed against {@code cp} of the same
 * database. Run from the project root:
 *
 * <pre>
 * ./mvnw -q -pl bench -am package -DskipTests
 * java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar io.litestream4j.bench.RestoreBench [WORK_DIR] [SIZE_MIB]
 * </pre>
 *
 * The database and replica are built once per work folder and reused by later runs.
 */
public final class RestoreBench {
    private static final int ROW_BYTES = 4000;
    private static final int COMPACTED_WRITES = 500;
    private static final int L0_FILES = 1000;
    private static final int RUNS = 5;

    private RestoreBench() {}

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args.length > 0 ? args[0] : "/tmp/litestream4j-restore-bench").toAbsolutePath();
        long sizeMiB = args.length > 1 ? Long.parseLong(args[1]) : 1024;
        Path db = work.resolve("source.db");
        Path replica = ensureBuilt(work, sizeMiB);
        long bytes = Files.size(db);

        List<Double> cp = new ArrayList<>();
        List<Double> cpSync = new ArrayList<>();
        List<Double> restore = new ArrayList<>();
        long peakHeap = 0;
        long peakRss = 0;
        for (int run = 0; run < RUNS; run++) {
            Path copy = work.resolve("copy.db");
            settle(copy);
            cp.add(timed(List.of("cp", db.toString(), copy.toString())));
            settle(copy);
            cpSync.add(timed(List.of("sh", "-c", "cp \"$0\" \"$1\" && sync \"$1\"", db.toString(), copy.toString())));
            settle(copy);

            Path out = work.resolve("restored.db");
            Path gcLog = work.resolve("gc.log");
            Files.deleteIfExists(gcLog);
            settle(out);
            List<String> command = new ArrayList<>(List.of("/usr/bin/time", "-f", "maxrss_kb=%M", "bin/litestream", "restore", "-o", out.toString(), replica.toString()));
            if (!Files.isExecutable(Path.of("/usr/bin/time"))) {
                command = command.subList(3, command.size());
            }
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().put("LITESTREAM_JAVA_OPTS", "-Xmx256m -Xlog:gc:file=" + gcLog);
            long start = System.nanoTime();
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes());
            int code = p.waitFor();
            double seconds = (System.nanoTime() - start) / 1e9;
            if (code != 0 || !output.contains("database checksum verified")) {
                throw new IllegalStateException("restore failed (exit " + code + "):\n" + output);
            }
            restore.add(seconds);
            peakHeap = Math.max(peakHeap, peakHeapMiB(gcLog));
            Matcher rss = Pattern.compile("maxrss_kb=(\\d+)").matcher(output);
            if (rss.find()) {
                peakRss = Math.max(peakRss, Long.parseLong(rss.group(1)) / 1024);
            }
            System.out.printf("run %d: cp %.2f s, cp+sync %.2f s, restore %.2f s (%s)%n", run + 1, cp.getLast(), cpSync.getLast(), seconds,
                    output.lines().filter(l -> l.startsWith("restored")).findFirst().orElse(""));
            settle(out);
        }
        double mib = bytes / (1024.0 * 1024);
        double cpMed = median(cp);
        double cpSyncMed = median(cpSync);
        double restoreMed = median(restore);
        System.out.printf("%nrestore of %.0f MiB (median of %d runs)%n", mib, RUNS);
        System.out.printf("%-22s %8s %10s%n", "", "seconds", "MiB/s");
        System.out.printf("%-22s %8.2f %10.0f%n", "cp", cpMed, mib / cpMed);
        System.out.printf("%-22s %8.2f %10.0f%n", "cp + sync", cpSyncMed, mib / cpSyncMed);
        System.out.printf("%-22s %8.2f %10.0f%n", "litestream4j restore", restoreMed, mib / restoreMed);
        System.out.printf("restore speed / cp speed: %.0f%% (target at least 50%%); / cp+sync: %.0f%%%n", 100 * cpMed / restoreMed,
                100 * cpSyncMed / restoreMed);
        System.out.printf("restore heap: -Xmx256m, most in use before a collection %s; peak RSS %s%n",
                peakHeap > 0 ? peakHeap + " MiB" : "n/a (no collection ran)", peakRss > 0 ? peakRss + " MiB" : "n/a");
    }

    /** Builds the database and its replica in {@code work} unless an earlier run did; returns the replica folder. */
    static Path ensureBuilt(Path work, long sizeMiB) throws Exception {
        Path replica = work.resolve("replica");
        if (!Files.exists(work.resolve("ready"))) {
            build(work, work.resolve("source.db"), replica, sizeMiB);
            Files.writeString(work.resolve("ready"), "built\n");
        }
        describeReplica(replica);
        return replica;
    }

    private static void build(Path work, Path db, Path replica, long sizeMiB) throws Exception {
        Files.createDirectories(work);
        Files.deleteIfExists(db);
        long rows = sizeMiB * 1024 * 1024 / (ROW_BYTES + 96);
        System.out.printf("building a %d MiB database (%d rows)...%n", sizeMiB, rows);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute("PRAGMA page_size = 4096");
            st.execute("PRAGMA journal_mode = off");
            st.execute("PRAGMA synchronous = off");
            st.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
            // Half random, half zeros: compresses about 2:1, as real data often does.
            for (long done = 0; done < rows; done += 10_000) {
                st.execute(("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
                        + "INSERT INTO t (v) SELECT randomblob(%d) || zeroblob(%d) FROM n").formatted(Math.min(10_000, rows - done), ROW_BYTES / 2, ROW_BYTES / 2));
            }
            st.execute("PRAGMA journal_mode = wal");
        }
        System.out.printf("database: %d MiB; replicating (snapshot, %d compacted writes, %d L0 files)...%n", Files.size(db) >> 20,
                COMPACTED_WRITES, L0_FILES);
        deleteTree(replica);
        DatabaseOptions options = DatabaseOptions.defaults();
        try (ReplicaClient client = new FileReplicaClient(replica)) {
            DatabaseReplicator r = DatabaseReplicator.start(db, options,
                    List.of(new DatabaseReplicator.Destination(new FileReplicaClient(replica), Duration.ZERO)), Clock.systemUTC());
            ReplicaCompactor compactor = new ReplicaCompactor(client, work.resolve("tmp"));
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
                awaitUploaded(r);
                compactor.snapshot();
                writes(c, r, COMPACTED_WRITES, rows);
                awaitUploaded(r);
                compactor.compact(1);
                compactor.compact(2);
                writes(c, r, L0_FILES, rows);
            }
            if (!r.stop(Duration.ofMinutes(5))) {
                throw new IllegalStateException("replica did not catch up");
            }
            r.close();
        }
    }

    /** {@code n} small transactions, each synced on its own so each is one L0 file. */
    private static void writes(Connection c, DatabaseReplicator r, int n, long rows) throws SQLException, IOException {
        Random random = new Random(n);
        try (PreparedStatement ps = c.prepareStatement("UPDATE t SET v = randomblob(?) || zeroblob(?) WHERE id = ?")) {
            for (int i = 0; i < n; i++) {
                ps.setInt(1, ROW_BYTES / 2);
                ps.setInt(2, ROW_BYTES / 2);
                ps.setLong(3, 1 + (long) (random.nextDouble() * rows));
                ps.executeUpdate();
                r.syncOnce();
            }
        }
    }

    private static void awaitUploaded(DatabaseReplicator r) throws InterruptedException {
        long txid = r.database().txid();
        while (r.replicaPositions().stream().anyMatch(p -> p < txid)) {
            Thread.sleep(20);
        }
    }

    private static void describeReplica(Path replica) throws IOException {
        try (ReplicaClient client = new FileReplicaClient(replica)) {
            for (int level = LtxFileInfo.MAX_LEVEL; level >= 0; level--) {
                List<LtxFileInfo> files = client.listFiles(level, 0);
                if (!files.isEmpty()) {
                    System.out.printf("replica level %d: %d files, %d MiB%n", level, files.size(),
                            files.stream().mapToLong(LtxFileInfo::size).sum() >> 20);
                }
            }
        }
    }

    /**
     * Deletes a file and lets the disk go quiet before the next timed step: the file system is
     * mounted with {@code discard}, and without the pause one run's freed blocks and dirty pages
     * slow the next (single writes of 1 GiB were seen to vary from 0.2 s to 3.3 s here).
     */
    private static void settle(Path file) throws IOException, InterruptedException {
        Files.deleteIfExists(file);
        new ProcessBuilder("sync").inheritIO().start().waitFor();
        Thread.sleep(6_000);
    }

    private static double timed(List<String> command) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Process p = new ProcessBuilder(command).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException(command + " failed");
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** The most heap in use before any collection, from a {@code -Xlog:gc} log ("123M->45M(256M)"). */
    private static long peakHeapMiB(Path gcLog) throws IOException {
        long peak = 0;
        Matcher m = Pattern.compile("(\\d+)M->(\\d+)M\\(").matcher(Files.readString(gcLog));
        while (m.find()) {
            peak = Math.max(peak, Long.parseLong(m.group(1)));
        }
        return peak;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
