package io.litestream4j.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.List;

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
            if (replicator != null) {
                printThreadCpu(replicator.pid());
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
            Thread.sleep(5);
        }
        Thread.sleep(1500); // start-up done
        return p;
    }

    /** CPU of each thread that used more than 50 ms, by name (USER_HZ = 100). */
    private static void printThreadCpu(long pid) throws Exception {
        long total = 0;
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                String stat = Files.readString(task.resolve("stat"));
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                long user = Long.parseLong(f[11]);
                long sys = Long.parseLong(f[12]);
                total += user + sys;
                if (user + sys > 5) {
                    System.out.printf("  %-16s user %5.2f s, system %5.2f s%n", name, user / 100.0, sys / 100.0);
                }
            }
        }
        System.out.printf("  replicator CPU in all: %.2f s%n", total / 100.0);
    }
}
