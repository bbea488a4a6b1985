package io.litestream4j.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a replicator's cost to a writer goes: one-row commits at full speed with no replicator,
 * with {@code bin/litestream} or with another binary (Litestream's), printing the writer's
 * commits per second, the WAL's largest size, and the replicator's CPU per thread (from
 * /proc/PID/task). {@code PROBE_CONFIG}, if set, is a config file for ours in which
 * {@code DB} and {@code REPLICA} are replaced by the paths (to try settings).
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -Dproject.root=. -cp bench/target/benchmarks.jar io.litestream4j.bench.WriterProbe none|ours|BINARY WAL_AUTOCHECKPOINT COMMITS
 * </pre>
 */
public final class WriterProbe {
    private WriterProbe() {}

    public static void main(String[] args) throws Exception {
        String tool = args[0];
        int autocheckpoint = Integer.parseInt(args[1]);
        int commits = Integer.parseInt(args[2]);
        Path root = Path.of(System.getProperty("project.root", ".")).toAbsolutePath().normalize();
        Path dir = Files.createTempDirectory("writerprobe");
        Path db = dir.resolve("app.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute("PRAGMA journal_mode = wal");
            st.execute("PRAGMA synchronous = normal");
            st.execute("PRAGMA busy_timeout = 5000");
            st.execute("PRAGMA wal_autocheckpoint = " + autocheckpoint);
            st.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, pad BLOB)");
            Process replicator = tool.equals("none") ? null : start(tool, root, db, dir);
            var cpuBefore = replicator == null ? null : threadCpu(replicator.pid());
            long maxWal = 0;
            long started = System.nanoTime();
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO t (ts, pad) VALUES (?, randomblob(100))")) {
                for (int i = 0; i < commits; i++) {
                    insert.setLong(1, i);
                    insert.executeUpdate();
                    if (i % 1000 == 0) {
                        maxWal = Math.max(maxWal, Files.size(dir.resolve("app.db-wal")));
                    }
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("%s, wal_autocheckpoint=%d: %.0f commits/s, WAL up to %d MiB%n", tool, autocheckpoint, commits / seconds, maxWal >> 20);
            printWriterThread();
            if (replicator != null) {
                Thread.sleep(200); // its last sync
                printThreadCpu(replicator.pid(), cpuBefore);
                replicator.destroy();
                replicator.waitFor();
            }
        }
    }

    private static Process start(String tool, Path root, Path db, Path dir) throws Exception {
        String exe = tool.equals("ours") ? root.resolve("bin/litestream").toString() : tool;
        Path replica = dir.resolve("replica");
        String config = System.getenv("PROBE_CONFIG");
        List<String> command = config == null ? List.of(exe, "replicate", db.toString(), replica.toUri().toString())
                : List.of(exe, "replicate", "-config", Files.writeString(dir.resolve("litestream.yml"),
                        Files.readString(Path.of(config)).replace("DB", db.toString()).replace("REPLICA", replica.toString())).toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("replicator.log").toFile()).start();
        while (!Files.exists(replica)) {
            if (!p.isAlive()) {
                throw new IllegalStateException(exe + " exited with " + p.exitValue() + ": " + Files.readString(dir.resolve("replicator.log")));
            }
            Thread.sleep(5);
        }
        Thread.sleep(1500); // start-up done
        return p;
    }

    /** The writer's (this thread's) CPU and context switches: time in system calls, and times it waited. */
    private static void printWriterThread() throws Exception {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        String status = Files.readString(Path.of("/proc/thread-self/status"));
        System.out.printf("  writer: user %.2f s, system %.2f s, %s, %s%n", Long.parseLong(f[11]) / 100.0, Long.parseLong(f[12]) / 100.0,
                field(status, "voluntary_ctxt_switches"), field(status, "nonvoluntary_ctxt_switches"));
    }

    private static String field(String status, String name) {
        return status.lines().filter(l -> l.startsWith(name + ":")).map(l -> name + " " + l.substring(name.length() + 1).strip())
                .findFirst().orElse(name + " ?");
    }

    /** Each thread's CPU (user, system; in USER_HZ = 1/100 s) by thread id and name. */
    private static Map<String, long[]> threadCpu(long pid) throws Exception {
        var cpu = new TreeMap<String, long[]>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                String stat = Files.readString(task.resolve("stat"));
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                cpu.put(task.getFileName() + " " + name, new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])});
            }
        }
        return cpu;
    }

    /** CPU each thread used since {@code before} (threads that used more than 50 ms), and in all. */
    private static void printThreadCpu(long pid, Map<String, long[]> before) throws Exception {
        long total = 0;
        for (var e : threadCpu(pid).entrySet()) {
            long[] was = before.getOrDefault(e.getKey(), new long[2]);
            long user = e.getValue()[0] - was[0];
            long sys = e.getValue()[1] - was[1];
            total += user + sys;
            if (user + sys > 5) {
                String name = e.getKey().substring(e.getKey().indexOf(' ') + 1);
                System.out.printf("  %-16s user %5.2f s, system %5.2f s%n", name, user / 100.0, sys / 100.0);
            }
        }
        System.out.printf("  replicator CPU while the writer ran: %.2f s%n", total / 100.0);
        String status = Files.readString(Path.of("/proc/" + pid + "/status"));
        System.out.printf("  replicator peak RSS: %s%n", field(status, "VmHWM"));
    }
}
