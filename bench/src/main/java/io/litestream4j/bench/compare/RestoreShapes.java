package io.litestream4j.bench.compare;

import io.litestream4j.DatabaseOptions;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.compaction.ReplicaCompactor;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.ltx.LtxFileInfo;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Restore of the replica shapes a live replicator leaves, each next to {@code cp} and
 * {@code cp}+{@code sync} of the same database and next to Litestream v0.3.13 restoring its own
 * replica of that database, all in the same run. Each shape's database is built once, while our
 * replicator (in this process, compaction driven by hand so each shape comes out exactly) ships
 * 1,000-row transactions of 1 KiB random blobs as one L0 file each:
 *
 * <ul>
 *   <li>{@code snapshot+levels}: a third written, a snapshot (level 9); a third, levels 1 and 2
 *       compacted; a third left as L0;
 *   <li>{@code L1+L0}: half written and compacted into one L1 file; half left as L0;
 *   <li>{@code L0}: every transaction an L0 file (the first one holds the whole database).
 * </ul>
 *
 * Litestream v0.3.13 then replicates the finished database (a snapshot and its WAL: its fastest
 * shape). Every round restores each shape with each tool in a rotating order, after {@code sync}
 * and a pause (the disk is mounted with discard: one step's freed blocks slow the next).
 * {@code -Dbench.restore.mib=1024} sets the size (257 by default, the database).
 */
final class RestoreShapes {
    enum Shape {
        SNAPSHOT_LEVELS("snapshot+levels"), L1_L0("L1+L0"), L0("L0");

        final String label;

        Shape(String label) {
            this.label = label;
        }
    }

    static final int DEFAULT_MIB = 257;
    private static final int ROWS_PER_TX = 1_000;
    private static final int ROW_BYTES = 1_024;
    private static final Duration PAUSE = Duration.ofSeconds(4);
    /** What each command is called in the samples and the table: the copies, then the tools. */
    static final String CP = "cp";
    static final String CP_SYNC = "cp+sync";

    private final Path work;
    private final Samples samples;
    private final Tool ours;
    private final Tool theirs;
    private final long mib;
    private final Map<Shape, String> replicaShapes = new LinkedHashMap<>();

    RestoreShapes(Path work, Samples samples, Tool ours, Tool theirs) {
        this.work = work;
        this.samples = samples;
        this.ours = ours;
        this.theirs = theirs;
        this.mib = Long.getLong("bench.restore.mib", DEFAULT_MIB);
    }

    /** Builds every shape, then restores each one {@code rounds} times with every command. */
    void run(int rounds) throws Exception {
        for (Shape s : Shape.values()) {
            build(s);
        }
        for (int round = 0; round < rounds; round++) {
            for (Shape s : Shape.values()) {
                List<String> order = new ArrayList<>(List.of(CP, CP_SYNC, ours.name(), theirs.name()));
                java.util.Collections.rotate(order, -round);
                for (String what : order) {
                    measure(s, what, round == 0);
                }
            }
            System.out.printf("restore round %d of %d done%n", round + 1, rounds);
        }
    }

    private Path dir(Shape s) {
        return work.resolve("restore-" + s.name().toLowerCase(java.util.Locale.ROOT));
    }

    private void build(Shape s) throws Exception {
        Path dir = dir(s);
        ReplicaFolder.delete(dir);
        Files.createDirectories(dir);
        Path db = dir.resolve("big.db");
        Path replica = dir.resolve("replica");
        new RowWriter(db).close();
        long started = System.nanoTime();
        try (ReplicaClient client = new FileReplicaClient(replica)) {
            DatabaseReplicator r = DatabaseReplicator.start(db, DatabaseOptions.defaults(),
                    List.of(new DatabaseReplicator.Destination(new FileReplicaClient(replica), Duration.ZERO)), Clock.systemUTC());
            try (RowWriter w = new RowWriter(db); Connection reader = DriverManager.getConnection("jdbc:sqlite:" + db)) {
                ReplicaCompactor compactor = new ReplicaCompactor(client, dir.resolve("tmp"));
                long target = mib << 20;
                int step = 0;
                while (databaseBytes(reader) < target) {
                    w.commitBatch(ROWS_PER_TX, ROW_BYTES);
                    r.syncOnce();
                    int part = (int) (3 * databaseBytes(reader) / target);
                    if (s == Shape.SNAPSHOT_LEVELS && part > step && step < 2) {
                        step++;
                        r.awaitReplicated(Duration.ofMinutes(5));
                        if (step == 1) {
                            compactor.snapshot();
                        } else {
                            compactor.compact(1);
                            compactor.compact(2);
                        }
                    } else if (s == Shape.L1_L0 && step == 0 && 2 * databaseBytes(reader) >= target) {
                        step++;
                        r.awaitReplicated(Duration.ofMinutes(5));
                        compactor.compact(1);
                    }
                }
            }
            if (!r.stop(Duration.ofMinutes(5))) {
                throw new IllegalStateException("replica of " + db + " did not catch up");
            }
            r.close();
            replicaShapes.put(s, describe(client));
        }
        System.out.printf("restore shape %s: %d MiB database built in %.0f s; replica %s%n", s.label, Files.size(db) >> 20,
                (System.nanoTime() - started) / 1e9, replicaShapes.get(s));
        buildTheirs(db, dir.resolve("replica-theirs"));
    }

    /** Litestream v0.3.13 replicates the finished database until its snapshot is written, then stops. */
    private void buildTheirs(Path db, Path replica) throws Exception {
        try (RunningReplicator r = RunningReplicator.start(theirs, db, replica, work.resolve(theirs.name() + "-restore-replicate.log"))) {
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            long lastSize = -1;
            int stable = 0;
            while (stable < 3) {
                r.cpuSeconds(); // throws if it died
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Litestream wrote no snapshot in " + replica + " within 5 minutes");
                }
                Thread.sleep(1_000);
                if (!Files.exists(replica)) {
                    continue;
                }
                boolean snapshot = ReplicaFolder.files(replica).stream().anyMatch(f -> f.endsWith(".snapshot.lz4"));
                long size = ReplicaFolder.sizeBytes(replica);
                stable = snapshot && size == lastSize ? stable + 1 : 0;
                lastSize = size;
            }
        }
    }

    private static long databaseBytes(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT page_count * page_size FROM pragma_page_count, pragma_page_size")) {
            return rs.getLong(1);
        }
    }

    private static String describe(ReplicaClient client) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int level = LtxFileInfo.MAX_LEVEL; level >= 0; level--) {
            List<LtxFileInfo> files = client.listFiles(level, 0);
            if (!files.isEmpty()) {
                b.append(b.isEmpty() ? "" : ", ").append("L%d: %d files %d MiB".formatted(level, files.size(),
                        files.stream().mapToLong(LtxFileInfo::size).sum() >> 20));
            }
        }
        return b.toString();
    }

    /** One timed command: a copy of the database, or a tool restoring its own replica of it. */
    private void measure(Shape s, String what, boolean check) throws Exception {
        Path dir = dir(s);
        Path db = dir.resolve("big.db");
        Path out = dir.resolve("out.db");
        for (String suffix : new String[] {"", "-wal", "-shm", "-txid"}) {
            Files.deleteIfExists(dir.resolve("out.db" + suffix));
        }
        Path rss = dir.resolve("rss.txt");
        Files.deleteIfExists(rss);
        List<String> command = new ArrayList<>(List.of("/usr/bin/time", "-f", "%M %U %S", "-o", rss.toString()));
        Tool tool = null;
        if (what.equals(CP)) {
            command.addAll(List.of("cp", db.toString(), out.toString()));
        } else if (what.equals(CP_SYNC)) {
            command.addAll(List.of("sh", "-c", "cp \"$0\" \"$1\" && sync \"$1\"", db.toString(), out.toString()));
        } else {
            tool = what.equals(ours.name()) ? ours : theirs;
            command.addAll(tool.restore(dir.resolve(tool == ours ? "replica" : "replica-theirs"), out));
        }
        new ProcessBuilder("sync").start().waitFor();
        Thread.sleep(PAUSE.toMillis());
        Path log = work.resolve(what + "-restore-shapes.log");
        ProcessBuilder pb = tool == null ? new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                : tool.process(command, log);
        long start = System.nanoTime();
        int exit = pb.start().waitFor();
        double seconds = (System.nanoTime() - start) / 1e9;
        if (exit != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited with " + exit + "; see " + log);
        }
        samples.add(metric(s, "s"), what, seconds);
        // The last line: time(1) writes a note above it when the command was killed by a signal.
        String[] used = Files.readString(rss).strip().lines().reduce((a, b) -> b).orElseThrow().split(" ");
        samples.add(metric(s, "peak_rss_mib"), what, Long.parseLong(used[0]) / 1024.0);
        samples.add(metric(s, "cpu_s"), what, Double.parseDouble(used[1]) + Double.parseDouble(used[2]));
        if (tool != null) {
            if (RowWriter.newestStamp(out) != RowWriter.newestStamp(db)) {
                throw new IllegalStateException(what + " restored " + s.label + " without its last rows");
            }
            if (check && !"ok".equals(RowWriter.integrityCheck(out))) {
                throw new IllegalStateException(what + ": integrity_check of the restored " + s.label + " database failed");
            }
        }
        samples.add(metric(s, "mib"), what, Files.size(db) / 1048576.0);
        Files.delete(out);
    }

    static String metric(Shape s, String what) {
        return "restore_" + s.name().toLowerCase(java.util.Locale.ROOT) + "_" + what;
    }

    /** One table: each shape's median seconds (min-max) per command, ratios and targets. */
    void print(PrintStream out) {
        List<String> columns = List.of(CP, CP_SYNC, ours.name(), theirs.name());
        out.printf("%nrestore from a file replica, %d rounds: median seconds [min-max]; the database as in each row%n%n",
                samples.of(metric(Shape.L0, "s"), CP).size());
        out.println("| shape (replica) | MiB | " + String.join(" | ", columns) + " | ours / cp+sync | ours / " + theirs.name()
                + " | ours peak RSS MiB | CPU s (user+sys): ours, " + theirs.name() + " |");
        out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (Shape s : Shape.values()) {
            StringBuilder line = new StringBuilder("| %s (%s) | %.0f |".formatted(s.label, replicaShapes.getOrDefault(s, "?"),
                    Samples.median(samples.of(metric(s, "mib"), CP))));
            for (String c : columns) {
                List<Double> xs = samples.of(metric(s, "s"), c);
                line.append(" %.2f [%.2f-%.2f] |".formatted(Samples.median(xs), Samples.percentile(xs, 0), Samples.percentile(xs, 100)));
            }
            double o = Samples.median(samples.of(metric(s, "s"), ours.name()));
            line.append(" %.2fx | %.2fx | %.0f | %.2f, %.2f |".formatted(o / Samples.median(samples.of(metric(s, "s"), CP_SYNC)),
                    o / Samples.median(samples.of(metric(s, "s"), theirs.name())),
                    Samples.median(samples.of(metric(s, "peak_rss_mib"), ours.name())),
                    Samples.median(samples.of(metric(s, "cpu_s"), ours.name())), Samples.median(samples.of(metric(s, "cpu_s"), theirs.name()))));
            out.println(line);
        }
        out.println();
        for (Shape s : Shape.values()) {
            double o = Samples.median(samples.of(metric(s, "s"), ours.name()));
            double cpSync = Samples.median(samples.of(metric(s, "s"), CP_SYNC));
            double t = Samples.median(samples.of(metric(s, "s"), theirs.name()));
            out.printf("target %-40s %s%n", s.label + ": at most 2x cp+sync", o <= 2 * cpSync ? "met" : "MISSED");
            out.printf("target %-40s %s%n", s.label + ": faster than " + theirs.name(), o < t ? "met" : "MISSED");
        }
    }
}
