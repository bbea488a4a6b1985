package io.litestream4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

/**
 * One {@code bin/litestream replicate} process replicating many databases in directory mode to
 * file replicas, with light writes: its peak and current RSS, its CPU while writing and while
 * idle (after the checkpoints and compactions the writes call for), and each write's data-loss window (from the commit until a new L0 file for that
 * database is in its replica).
 *
 * <pre>
 * ./mvnw -q -pl bench -am package -DskipTests
 * java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar io.litestream4j.bench.ScaleBench [DATABASES] [WRITES_PER_SECOND]
 * </pre>
 */
public final class ScaleBench {
    private static final long CLOCK_TICKS = 100; // USER_HZ on Linux

    private ScaleBench() {}

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        Path root = Path.of(System.getProperty("project.root", ".")).toAbsolutePath().normalize();
        Path work = Files.createTempDirectory("scalebench");
        Path data = Files.createDirectories(work.resolve("data"));
        List<Path> dbs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Path db = data.resolve("db%04d.db".formatted(i));
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
                st.execute("PRAGMA journal_mode = wal");
                st.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
                st.execute("INSERT INTO t (v) VALUES (randomblob(100))");
            }
            dbs.add(db);
        }
        Path cfg = work.resolve("litestream.yml");
        Files.writeString(cfg, """
                dbs:
                  - dir: %s
                    pattern: "*.db"
                    watch: true
                    replica:
                      path: %s
                """.formatted(data, work.resolve("replicas")));
        Path log = work.resolve("litestream.log");
        ProcessBuilder pb = new ProcessBuilder(root.resolve("bin/litestream").toString(), "replicate", "-config", cfg.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        long launched = System.nanoTime();
        Process p = pb.start();
        long pid = javaPid(p);
        while (countLines(log, "replicating to") < count) {
            if (!p.isAlive()) {
                throw new IllegalStateException("litestream exited: " + Files.readString(log));
            }
            Thread.sleep(200);
        }
        double startSeconds = (System.nanoTime() - launched) / 1e9;
        Thread.sleep(3000); // start-up uploads and their compactions settle
        System.out.printf("%d databases, directory mode, file replicas; all replicating %.1f s after launch; RSS %d MiB%n", count, startSeconds,
                rssKib(pid, "VmRSS") / 1024);

        // Light writes: one row into a random database, `rate` times a second, for 60 s.
        Random random = new Random(7);
        List<Double> windows = Collections.synchronizedList(new ArrayList<>());
        long cpuBefore = cpuTicks(pid);
        long writeStart = System.nanoTime();
        try (ExecutorService watchers = Executors.newVirtualThreadPerTaskExecutor()) {
            int total = rate * 60;
            for (int i = 0; i < total; i++) {
                long due = writeStart + i * 1_000_000_000L / rate;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                Path db = dbs.get(random.nextInt(count));
                Path replicaL0 = work.resolve("replicas").resolve(db.getFileName().toString()).resolve("ltx").resolve("0");
                long filesBefore = countFiles(replicaL0);
                try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
                    st.execute("PRAGMA busy_timeout = 5000");
                    st.execute("INSERT INTO t (v) VALUES (randomblob(100))");
                }
                long committed = System.nanoTime();
                watchers.submit(() -> {
                    while (System.nanoTime() - committed < 10_000_000_000L) {
                        if (countFiles(replicaL0) > filesBefore) {
                            windows.add((System.nanoTime() - committed) / 1e6);
                            return null;
                        }
                        Thread.sleep(2);
                    }
                    windows.add(10_000.0);
                    return null;
                });
            }
        }
        double writeSeconds = (System.nanoTime() - writeStart) / 1e9;
        long cpuWriting = cpuTicks(pid) - cpuBefore;
        long rssWriting = rssKib(pid, "VmRSS");

        // What the writes leave to do comes first: each database's time-based checkpoint (at most
        // checkpoint-interval, 1 min, after its last change) and the level-1 compaction at the
        // next 30 s boundary. Idle starts after them.
        Thread.sleep(65_000);
        long toBoundary = 30_000 - System.currentTimeMillis() % 30_000;
        Thread.sleep(toBoundary + 10_000);
        // Three idle windows of 30 s in a row, to show whether anything is still settling.
        double[] idle = new double[3];
        for (int i = 0; i < idle.length; i++) {
            long idleBefore = cpuTicks(pid);
            Thread.sleep(30_000);
            idle[i] = 100.0 * (cpuTicks(pid) - idleBefore) / CLOCK_TICKS / 30;
        }
        long peak = rssKib(pid, "VmHWM");
        long threads = Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith("Threads:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(-1);
        p.destroy();
        p.waitFor();

        double[] w = windows.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        System.out.printf("writes: %d at %d/s over %.0f s; data-loss window p50 %.0f ms, p99 %.0f ms, max %.0f ms%n", w.length, rate, writeSeconds,
                w[w.length / 2], w[(int) (w.length * 0.99)], w[w.length - 1]);
        System.out.printf("CPU: %.1f%% of one core while writing; idle, three 30 s windows: %.2f%%, %.2f%%, %.2f%%%n",
                100.0 * cpuWriting / CLOCK_TICKS / writeSeconds, idle[0], idle[1], idle[2]);
        System.out.printf("RSS %d MiB while writing, peak %d MiB; %d threads%n", rssWriting / 1024, peak / 1024, threads);
    }

    /** bin/litestream execs java, so the launcher's pid is the JVM's. */
    private static long javaPid(Process p) {
        return p.pid();
    }

    private static long countLines(Path log, String text) throws IOException {
        try (Stream<String> lines = Files.lines(log)) {
            return lines.filter(l -> l.contains(text)).count();
        } catch (java.io.UncheckedIOException e) {
            return 0;
        }
    }

    private static long countFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> f.toString().endsWith(".ltx")).count();
        }
    }

    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
    }

    private static long rssKib(long pid, String field) throws IOException {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith(field + ":"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(-1);
    }
}
