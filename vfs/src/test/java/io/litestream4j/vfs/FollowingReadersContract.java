package io.litestream4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.CompactionSettings;
import io.litestream4j.DatabaseOptions;
import io.litestream4j.Replicator;
import io.litestream4j.core.replica.ReplicaClient;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real writer replicating (with compaction, snapshots and retention running fast) while readers
 * query the replica through the VFS: every read transaction must see a whole prefix of the
 * writer's transactions (checked by content), and new transactions must show up within the lag
 * bound at the default 1 s poll.
 */
abstract class FollowingReadersContract {
    static final int WRITE_SECONDS = 20;
    static final int READERS = 3;

    @TempDir
    Path dir;

    /** A client for the writer's replica (the test closes it). */
    abstract ReplicaClient writerClient() throws Exception;

    /** A second client for the same replica, for the VFS (which closes it). */
    abstract ReplicaClient readerClient() throws Exception;

    abstract String vfsName();

    /** The replica's URL for a reader in another JVM. */
    abstract String replicaUrl();

    /** Environment for that JVM (credentials). */
    java.util.Map<String, String> readerEnvironment() {
        return java.util.Map.of();
    }

    /** The 1-minute load average per core, as the run ends. */
    static double loadPerCore() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage() / Runtime.getRuntime().availableProcessors();
    }

    /**
     * The bound on the median commit-to-visible lag: the 2 s. The margin for load: on a
     * machine loaded past 4 runnable threads a core (the shared 2-core one here reached 24) the
     * writer's uploads, compaction and retention and the in-process S3Proxy queue for the cores,
     * and the S3 median was seen at 1.9-1.95 s at load 20-22 (1.05-1.33 s at load 15-24 on other
     * runs): there the bound is 3 s, and the load is printed with the numbers.
     */
    long medianLagBoundMs() {
        return loadPerCore() > 4 ? 3000 : 2000;
    }

    /**
     * The files of a level, listed while retention deletes: the file replica's listing fails with
     * NoSuchFileException when a file goes between reading the directory and reading its size, so
     * a few attempts are made.
     */
    private static List<io.litestream4j.ltx.LtxFileInfo> listWhileRetentionRuns(ReplicaClient client, int level) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return client.listFiles(level, 0);
            } catch (java.nio.file.NoSuchFileException e) {
                if (attempt == 10) {
                    throw e;
                }
            }
        }
    }

    static int payloadLength(long id) {
        return 100 + (int) (id % 400);
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void readersSeeWholePrefixesAndFollowTheWriter() throws Exception {
        Path db = dir.resolve("app.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute("PRAGMA journal_mode=wal");
            st.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
            st.execute("CREATE TABLE meta(k INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
            st.execute("INSERT INTO meta VALUES (1, 0)");
        }
        // Compaction every 1 and 3 s, a snapshot every 5 s kept 8 s, L0 kept 8 s after compaction,
        // retention checked every second: files the readers' states use are replaced and deleted
        // all through the run. The VFS runs with its defaults (but a smaller cache): at about ten
        // syncs a second it plans afresh in the background every 64 L0 files, some 7 s, a few
        // times a run, under the 8 s L0 retention.
        CompactionSettings compaction = new CompactionSettings(List.of(Duration.ofSeconds(1), Duration.ofSeconds(3)),
                Duration.ofSeconds(5), Duration.ofSeconds(8), Duration.ofSeconds(8), true, Duration.ofSeconds(1));
        int maxTx = 100_000;
        AtomicLongArray committedAt = new AtomicLongArray(maxTx + 1);
        long[] prefixLength = new long[maxTx + 1];
        for (int i = 1; i <= maxTx; i++) {
            prefixLength[i] = prefixLength[i - 1] + payloadLength(i);
        }
        AtomicLong committed = new AtomicLong();
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLongArray firstSeenAt = new AtomicLongArray(maxTx + 1);
        AtomicLong readTransactions = new AtomicLong();
        ReplicaClient writerReplica = writerClient();
        try (Replicator replicator = Replicator.builder(db).replica(writerReplica).syncInterval(Duration.ofMillis(100))
                .options(DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(100))).compaction(compaction).start()) {
            replicator.awaitReplicated(Duration.ofSeconds(30));
            try (LitestreamVfs vfs = LitestreamVfs.register(vfsName(), readerClient(),
                    VfsOptions.defaults().withCacheBytes(2L << 20))) {
                Path stopFile = dir.resolve("stop-reader");
                ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
                        "-cp", System.getProperty("java.class.path"), OtherProcessReader.class.getName(), vfsName() + "-other", replicaUrl(),
                        stopFile.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("other-reader.log").toFile());
                pb.environment().putAll(readerEnvironment());
                Process other = pb.start();
                // The writer starts once the other JVM reads (its start-up takes seconds on a busy machine).
                Path otherLog = dir.resolve("other-reader.log");
                long readyBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                while (!java.nio.file.Files.readString(otherLog).contains("READY") && other.isAlive() && System.nanoTime() < readyBy) {
                    Thread.sleep(50);
                }
                assertThat(java.nio.file.Files.readString(otherLog)).as("the other JVM's reader started").contains("READY");
                List<Thread> readers = new ArrayList<>();
                for (int r = 0; r < READERS; r++) {
                    readers.add(Thread.ofPlatform().name("reader-" + r).start(() -> {
                        try (Connection c = DriverManager.getConnection(vfs.jdbcUrl()); Statement st = c.createStatement()) {
                            while (!stop.get()) {
                                st.execute("BEGIN");
                                long n;
                                try (ResultSet rs = st.executeQuery("SELECT n FROM meta WHERE k = 1")) {
                                    rs.next();
                                    n = rs.getLong(1);
                                }
                                try (ResultSet rs = st.executeQuery("SELECT count(*), coalesce(max(id), 0), coalesce(sum(length(payload)), 0) FROM t")) {
                                    rs.next();
                                    if (rs.getLong(1) != n || rs.getLong(2) != n || rs.getLong(3) != prefixLength[(int) n]) {
                                        problems.add("meta says %d transactions, t holds count %d, max id %d, %d payload bytes (want %d)"
                                                .formatted(n, rs.getLong(1), rs.getLong(2), rs.getLong(3), prefixLength[(int) n]));
                                    }
                                }
                                st.execute("COMMIT");
                                readTransactions.incrementAndGet();
                                firstSeenAt.compareAndSet((int) n, 0, System.nanoTime());
                                Thread.sleep(2); // readers that spin would starve the writer and the server of the 2 shared cores
                            }
                        } catch (Throwable t) {
                            problems.add("reader: " + t);
                        }
                    }));
                }
                try (Connection w = DriverManager.getConnection("jdbc:sqlite:" + db)) {
                    w.setAutoCommit(false);
                    PreparedStatement insert = w.prepareStatement("INSERT INTO t(id, payload) VALUES (?, printf('%0*d', ?, ?))");
                    PreparedStatement meta = w.prepareStatement("UPDATE meta SET n = ? WHERE k = 1");
                    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WRITE_SECONDS);
                    for (int i = 1; i <= maxTx && System.nanoTime() < end; i++) {
                        insert.setInt(1, i);
                        insert.setInt(2, payloadLength(i));
                        insert.setInt(3, i);
                        insert.executeUpdate();
                        meta.setInt(1, i);
                        meta.executeUpdate();
                        w.commit();
                        committedAt.set(i, System.nanoTime());
                        committed.set(i);
                        Thread.sleep(5);
                    }
                }
                long last = committed.get();
                // The last transaction must reach the readers; wide bound (the machine is shared).
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (firstSeenAt.get((int) last) == 0 && System.nanoTime() < deadline && problems.isEmpty()) {
                    Thread.sleep(20);
                }
                stop.set(true);
                for (Thread t : readers) {
                    t.join(30_000);
                }
                java.nio.file.Files.writeString(stopFile, Long.toString(last));
                boolean exited = other.waitFor(90, TimeUnit.SECONDS);
                if (!exited) {
                    other.destroyForcibly();
                }
                String otherOut = java.nio.file.Files.readString(dir.resolve("other-reader.log"));
                System.out.printf("%s: reader in another JVM: %s%n", vfsName(), otherOut.lines().filter(l -> l.startsWith("OK") || l.startsWith("PROBLEM"))
                        .findFirst().orElse("(no result)"));
                assertThat(exited).as("the other JVM's reader finished").isTrue();
                assertThat(other.exitValue()).as("the other JVM's reader: %s", otherOut).isZero();
                assertThat(otherOut).containsPattern("OK [1-9][0-9]+ " + last);
                assertThat(problems).as("read transactions that saw no whole prefix, or failed").isEmpty();
                assertThat(firstSeenAt.get((int) last)).as("the last transaction %d reached the readers", last).isNotZero();
                // Staleness: for each committed transaction, when readers first saw it or a later one.
                List<Long> lagsMs = new ArrayList<>();
                long seenLater = Long.MAX_VALUE;
                for (int i = (int) last; i >= 1; i--) {
                    if (firstSeenAt.get(i) != 0) {
                        seenLater = Math.min(seenLater, firstSeenAt.get(i));
                    }
                    if (seenLater != Long.MAX_VALUE) {
                        lagsMs.add(TimeUnit.NANOSECONDS.toMillis(seenLater - committedAt.get(i)));
                    }
                }
                Collections.sort(lagsMs);
                long p50 = lagsMs.get(lagsMs.size() / 2);
                long p99 = lagsMs.get(lagsMs.size() * 99 / 100);
                long max = lagsMs.getLast();
                System.out.printf("%s: %d transactions, %d read transactions, commit-to-visible lag p50 %d ms, p99 %d ms, max %d ms; "
                        + "cache hits %d, misses %d, %d bytes fetched; served TXID %x%n", vfsName(), last, readTransactions.get(), p50, p99, max,
                        vfs.cacheHits(), vfs.cacheMisses(), vfs.bytesFetched(), vfs.servedTxid());
                long bound = medianLagBoundMs();
                System.out.printf("%s: follower: %s; load %.1f a core, median bound %d ms%n", vfsName(), vfs.followStats(), loadPerCore(), bound);
                assertThat(readTransactions.get()).isGreaterThan(READERS * 10L);
                // Lag = writer's sync (0.1 s) + upload + the 1 s poll (0.5 s on average) + one L0
                // listing and the GETs of the new files (0.3-0.4 s a poll on S3Proxy at load 18-22).
                // The median must meet the 2 s on both replicas (seen 0.6-1.0 s on a file
                // replica, 1.05-1.95 s on S3Proxy at load 15-24 on the shared 2-core machine), with
                // the margin for load of medianLagBoundMs. Single transactions wait longer when the
                // machine stalls (GC, the writer's uploads, compaction and retention share the cores
                // and the in-process S3Proxy): the p99 may take 3x the bound.
                assertThat(p50).as("median lag, ms").isLessThanOrEqualTo(bound);
                assertThat(p99).as("p99 lag, ms").isLessThanOrEqualTo(3 * bound);
                assertThat(vfs.lastError()).as("vfs errors").isNull();
                assertThat(vfs.servedTxid()).as("served TXID").isPositive();
                assertThat(vfs.lagTxids()).as("caught up: TXIDs behind").isZero();
                assertThat(vfs.lag()).as("caught up: time behind").isEqualTo(Duration.ZERO);
                // Compaction and retention did run under the readers.
                long compacted = 0;
                for (int level = 1; level <= 9; level++) {
                    compacted += listWhileRetentionRuns(writerReplica, level).size();
                }
                assertThat(compacted).as("files in levels 1-9").isPositive();
                assertThat(listWhileRetentionRuns(writerReplica, 0).getFirst().minTxid()).as("oldest L0 file left by retention").isGreaterThan(1);
            }
        } finally {
            writerReplica.close();
        }
    }
}
