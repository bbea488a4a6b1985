package io.litestream4j.bench.compare;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Many small databases in one replicator process (issue #27): N databases, each a copy of one small
 * WAL-mode database, replicated to file replicas by one {@code replicate} process; ours in
 * directory mode ({@code dir}, {@code watch: true}), Litestream v0.3.13 (which has no directory
 * mode) with a configuration that lists them. It prints:
 *
 * <ul>
 *   <li>start-up: from launch until every database's first replica file is written (ours logs
 *       "replicating to" after that upload, 0.3.13 logs "snapshot written");
 *   <li>RSS (VmRSS) after start-up, the highest sampled while writing, when idle, and the peak
 *       (VmHWM); threads and open file descriptors;
 *   <li>the data-loss window of each write of a writer committing one row into a random database
 *       RATE times a second (default 100): from the commit until a new file for that database is
 *       in its replica; p50, p99, max, and how many took over 1 s;
 *   <li>CPU while writing, and idle CPU in windows of 30 s after the work the writes leave (each
 *       database's time-based checkpoint within checkpoint-interval, 1 min, and the level-1
 *       compaction at the next 30 s boundary);
 *   <li>where the memory goes (ours): Native Memory Tracking's summary (the JVM's own), the
 *       process's mappings from /proc/PID/smaps grouped (anonymous, the databases' -shm files,
 *       other files), and glibc's malloc arenas ({@code System.native_heap_info}): what malloc
 *       holds beyond what NMT accounts for is SQLite's, for the connections we hold;
 *   <li>the load average of the machine (it is shared) beside every figure.
 * </ul>
 *
 * <pre>
 * bench/compare many [DATABASES] [RATE] [ours|litestream|both]
 * </pre>
 *
 * System properties (in BENCH_JAVA_OPTS): {@code bench.writeSeconds} (60), {@code bench.settleSeconds}
 * (65, then to 10 s past the next 30 s boundary; 0 for none), {@code bench.idleWindows} (2),
 * {@code bench.nmt} (true: ours runs with -XX:NativeMemoryTracking=summary), {@code bench.timeline} (a file: each commit's
 * time in ms since the epoch and its window, one line each).
 */
public final class ManyDatabases {
    private static final double CLOCK_TICKS = 100; // USER_HZ on Linux
    private static final long START_LIMIT_SECONDS = 600;

    private final Path work;
    private final int count;
    private final int rate;
    private final List<Path> dbs = new ArrayList<>();

    private ManyDatabases(Path work, int count, int rate) {
        this.work = work;
        this.count = count;
        this.rate = rate;
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("project.root", ".")).toAbsolutePath().normalize();
        Path litestream = Path.of(args[0]).toAbsolutePath();
        int count = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        int rate = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        String which = args.length > 3 ? args[3] : "ours";
        List<Tool> tools = switch (which) {
            case "ours" -> List.of(Tool.ours(root));
            case "litestream" -> List.of(Tool.litestream(litestream));
            case "both" -> List.of(Tool.ours(root), Tool.litestream(litestream));
            default -> throw new IllegalArgumentException("want ours, litestream or both, got " + which);
        };
        for (Tool tool : tools) {
            ManyDatabases bench = new ManyDatabases(Files.createTempDirectory("manydbs"), count, rate);
            try {
                bench.run(tool);
            } finally {
                ReplicaFolder.delete(bench.work);
            }
        }
    }

    private boolean ours(Tool tool) {
        return !tool.name().startsWith("litestream-");
    }

    private void run(Tool tool) throws Exception {
        System.out.printf("%n== %s: %d databases, a writer at %d commits/s; work folder %s; load %s%n", tool.name(), count, rate, work, load());
        Path data = Files.createDirectories(work.resolve("data"));
        createDatabases(data);
        Path cfg = writeConfig(tool, data);
        Path log = work.resolve(tool.name() + ".log");
        List<String> command = List.of(tool.executable().toString(), "replicate", "-config", cfg.toString());
        ProcessBuilder pb = tool.process(command, log);
        if (ours(tool) && Boolean.parseBoolean(System.getProperty("bench.nmt", "true"))) {
            String opts = pb.environment().getOrDefault("LITESTREAM_JAVA_OPTS", "");
            pb.environment().put("LITESTREAM_JAVA_OPTS", (opts + " -XX:NativeMemoryTracking=summary").trim());
        }
        String ready = ours(tool) ? "replicating to" : "snapshot written";
        long launched = System.nanoTime();
        Process p = pb.start();
        try {
            Proc proc = new Proc(p.pid());
            long seen = 0;
            while ((seen = countLines(log, ready)) < count) {
                if (!p.isAlive() || System.nanoTime() - launched > TimeUnit.SECONDS.toNanos(START_LIMIT_SECONDS)) {
                    System.out.printf("FAILED: %d of %d databases replicating after %.1f s, process %s; last lines of %s:%n%s%n", seen, count,
                            (System.nanoTime() - launched) / 1e9, p.isAlive() ? "alive" : "exited " + p.exitValue(), log, tail(log, 15));
                    return;
                }
                Thread.sleep(200);
            }
            double startSeconds = (System.nanoTime() - launched) / 1e9;
            String startLoad = load();
            Thread.sleep(5000); // the start-up's own work settles
            System.out.printf("start-up: all %d replicating %.1f s after launch (load %s); RSS 5 s later %d MiB, %d threads, %d fds (load %s)%n",
                    count, startSeconds, startLoad, proc.rssKib("VmRSS") / 1024, proc.status("Threads"), proc.fds(), load());

            writes(tool, proc);

            // What the writes leave to do first: each database's time-based checkpoint (at most
            // checkpoint-interval, 1 min, after its last change) and the level-1 compaction at the
            // next 30 s boundary. Idle starts after them.
            int settle = Integer.getInteger("bench.settleSeconds", 65);
            if (settle > 0) {
                Thread.sleep(settle * 1000L);
                Thread.sleep(30_000 - System.currentTimeMillis() % 30_000 + 10_000);
            }
            int windows = Integer.getInteger("bench.idleWindows", 2);
            for (int i = 0; i < windows; i++) {
                double before = proc.cpuSeconds();
                Thread.sleep(30_000);
                System.out.printf("idle window %d: CPU %.2f%% of one core, RSS %d MiB (load %s)%n", i + 1, 100 * (proc.cpuSeconds() - before) / 30,
                        proc.rssKib("VmRSS") / 1024, load());
            }
            System.out.printf("peak RSS (VmHWM) %d MiB; %d threads; %d fds%n", proc.rssKib("VmHWM") / 1024, proc.status("Threads"), proc.fds());
            proc.memoryBreakdown(ours(tool));
        } finally {
            long stopping = System.nanoTime();
            p.destroy();
            boolean stopped = p.waitFor(120, TimeUnit.SECONDS);
            if (!stopped) {
                p.destroyForcibly().waitFor();
            }
            // A stop makes each database's final sync: what it costs with thousands of them.
            System.out.printf("stop (SIGTERM): %s after %.1f s (load %s)%n", stopped ? "exited " + p.exitValue() : "killed, still running",
                    (System.nanoTime() - stopping) / 1e9, load());
        }
    }

    /** One template database copied: N databases in seconds, each with one small table and one row. */
    private void createDatabases(Path data) throws Exception {
        Path template = work.resolve("template.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + template); Statement st = c.createStatement()) {
            st.execute("PRAGMA journal_mode = wal");
            st.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
            st.execute("INSERT INTO t (v) VALUES (randomblob(100))");
            st.execute("PRAGMA wal_checkpoint(TRUNCATE)");
        }
        Files.deleteIfExists(work.resolve("template.db-wal"));
        Files.deleteIfExists(work.resolve("template.db-shm"));
        for (int i = 0; i < count; i++) {
            dbs.add(Files.copy(template, data.resolve("db%05d.db".formatted(i))));
        }
    }

    private Path writeConfig(Tool tool, Path data) throws IOException {
        Path replicas = work.resolve("replicas");
        StringBuilder yml = new StringBuilder("dbs:\n");
        if (ours(tool)) {
            yml.append("""
                      - dir: %s
                        pattern: "*.db"
                        watch: true
                        replica:
                          path: %s
                    """.formatted(data, replicas));
        } else {
            for (Path db : dbs) {
                yml.append("  - path: %s\n    replicas:\n      - path: %s\n".formatted(db, replicas.resolve(db.getFileName().toString())));
            }
        }
        return Files.writeString(work.resolve(tool.name() + ".yml"), yml);
    }

    /** Where a database's replica gets a new file with each sync: L0 for ours, the generations (snapshots and WAL segments) for 0.3. */
    private Path replicaFiles(Tool tool, Path db) {
        Path replica = work.resolve("replicas").resolve(db.getFileName().toString());
        return ours(tool) ? replica.resolve("ltx").resolve("0") : replica.resolve("generations");
    }

    private void writes(Tool tool, Proc proc) throws Exception {
        Random random = new Random(7);
        List<Double> lags = Collections.synchronizedList(new ArrayList<>());
        // Each commit's wall time (ms since the epoch) and window, for bench.timeline: when the slow ones happened.
        List<String> timeline = Collections.synchronizedList(new ArrayList<>());
        double cpuBefore = proc.cpuSeconds();
        long maxRss = 0;
        int seconds = Integer.getInteger("bench.writeSeconds", 60);
        long start = System.nanoTime();
        try (ExecutorService watchers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < rate * seconds; i++) {
                long wait = start + i * 1_000_000_000L / rate - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                if (i % rate == 0) {
                    maxRss = Math.max(maxRss, proc.rssKib("VmRSS"));
                }
                Path db = dbs.get(random.nextInt(count));
                Path files = replicaFiles(tool, db);
                FolderLook look = FolderLook.of(files, ours(tool));
                try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
                    st.execute("PRAGMA busy_timeout = 5000");
                    st.execute("INSERT INTO t (v) VALUES (randomblob(100))");
                }
                long committed = System.nanoTime();
                watchers.submit(() -> {
                    long waited;
                    while ((waited = System.nanoTime() - committed) < 10_000_000_000L) {
                        if (look.changed()) {
                            double lag = (System.nanoTime() - committed) / 1e6;
                            lags.add(lag);
                            timeline.add("%d %.1f".formatted(System.currentTimeMillis() - (long) lag, lag));
                            return null;
                        }
                        // 10 ms is resolution enough for a target of a second; past a second 50 ms
                        // (5%), so a slow replicator does not draw more CPU from the bench's looks.
                        Thread.sleep(waited < 1_000_000_000L ? 10 : 50);
                    }
                    lags.add(10_000.0);
                    timeline.add("%d 10000".formatted(System.currentTimeMillis() - 10_000));
                    return null;
                });
            }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        double cpu = proc.cpuSeconds() - cpuBefore;
        String timelineFile = System.getProperty("bench.timeline");
        if (timelineFile != null) {
            Files.write(Path.of(timelineFile), timeline);
        }
        double[] w = lags.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        long over = lags.stream().filter(l -> l > 1000).count();
        System.out.printf("writes: %d at %d/s over %.0f s; data-loss window p50 %.0f ms, p99 %.0f ms, max %.0f ms, %d over 1 s;"
                + " CPU %.1f%% of one core; RSS up to %d MiB (load %s)%n", w.length, rate, elapsed, w[w.length / 2], w[(int) (w.length * 0.99)],
                w[w.length - 1], over, 100 * cpu / elapsed, maxRss / 1024, load());
    }

    /**
     * Whether a folder got a new newest file since it was first looked at, looked at cheaply: a
     * look stats the folder (a file created or renamed into it changes its mtime) and walks it
     * only when the mtime moved or every WALK_EVERY anyway. Walking every 10 ms for each pending
     * commit cost the bench itself a core at 10,000 databases, taken from the replicator it
     * measures. The periodic walk covers a file landing within the file system's timestamp grain
     * (a few ms) of the first look, which leaves the mtime as it was. Only for a flat folder (ours,
     * ltx/0): 0.3's new files land in sub-folders of generations/, whose mtime does not move, so
     * there every look walks, as before.
     */
    private static final class FolderLook {
        private static final long WALK_EVERY_NANOS = 250_000_000L;
        private final Path dir;
        private final String before;
        private final boolean flat;
        private Object mtime;
        private long walked;

        private FolderLook(Path dir, boolean flat, Object mtime, String before) {
            this.dir = dir;
            this.flat = flat;
            this.mtime = mtime;
            this.before = before;
            this.walked = System.nanoTime();
        }

        /** Reads the mtime before the newest file, so a file landing between the two is in {@code before} or moves the mtime. */
        static FolderLook of(Path dir, boolean flat) throws IOException {
            Object mtime = mtimeOf(dir);
            return new FolderLook(dir, flat, mtime, newestFile(dir));
        }

        boolean changed() throws IOException {
            Object now = mtimeOf(dir);
            if (flat && java.util.Objects.equals(now, mtime) && System.nanoTime() - walked < WALK_EVERY_NANOS) {
                return false;
            }
            mtime = now;
            walked = System.nanoTime();
            return !java.util.Objects.equals(newestFile(dir), before);
        }

        private static Object mtimeOf(Path dir) {
            try {
                return Files.getLastModifiedTime(dir);
            } catch (IOException e) {
                return null; // not created yet
            }
        }
    }

    /** The greatest path of a file under {@code dir}: file names grow with each sync in both tools' layouts. */
    private static String newestFile(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return null;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(Path::toString).filter(n -> !n.endsWith(".tmp")).max(String::compareTo).orElse(null);
        } catch (java.io.UncheckedIOException e) {
            return null; // a file renamed or deleted while walking: look again
        }
    }

    private static long countLines(Path log, String text) throws IOException {
        if (!Files.exists(log)) {
            return 0;
        }
        try (Stream<String> lines = Files.lines(log)) {
            return lines.filter(l -> l.contains(text)).count();
        } catch (java.io.UncheckedIOException e) {
            return 0;
        }
    }

    private static String tail(Path log, int n) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }

    /** The machine's load averages over 1, 5 and 15 minutes. */
    static String load() throws IOException {
        String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
        return f[0] + " " + f[1] + " " + f[2];
    }

    /** What /proc and jcmd say of the replicator. */
    private record Proc(long pid) {
        double cpuSeconds() throws IOException {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / CLOCK_TICKS;
        }

        long status(String field) throws IOException {
            return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith(field + ":"))
                    .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(-1);
        }

        long rssKib(String field) throws IOException {
            return status(field);
        }

        long fds() throws IOException {
            try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
                return s.count();
            }
        }

        void memoryBreakdown(boolean jvm) throws IOException, InterruptedException {
            Map<String, Long> groups = new HashMap<>();
            String group = null;
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps"))) {
                if (Character.isDigit(line.charAt(0)) || (line.charAt(0) >= 'a' && line.charAt(0) <= 'f' && line.indexOf('-') > 0
                        && line.indexOf('-') < line.indexOf(' '))) {
                    String[] f = line.trim().split("\\s+");
                    String name = f.length > 5 ? f[5] : "";
                    group = name.endsWith("-shm") ? "databases' -shm" : name.isEmpty() || name.startsWith("[") ? "anonymous" : "other files";
                } else if (line.startsWith("Rss:") && group != null) {
                    groups.merge(group, Long.parseLong(line.replaceAll("\\D", "")), Long::sum);
                }
            }
            System.out.printf("mappings (smaps RSS): anonymous %d MiB, databases' -shm %d MiB, other files %d MiB%n", groups.getOrDefault("anonymous", 0L) / 1024,
                    groups.getOrDefault("databases' -shm", 0L) / 1024, groups.getOrDefault("other files", 0L) / 1024);
            if (!jvm) {
                return;
            }
            String nmt = jcmd("VM.native_memory", "summary");
            long nmtMallocKib = -1;
            StringBuilder summary = new StringBuilder("NMT committed:");
            for (String line : nmt.lines().toList()) {
                var total = java.util.regex.Pattern.compile("^Total: reserved=(\\d+)KB, committed=(\\d+)KB").matcher(line.trim());
                if (total.find()) {
                    summary.append(" total %d MiB;".formatted(Long.parseLong(total.group(2)) / 1024));
                }
                var category = java.util.regex.Pattern.compile("^-\\s+(.+?) \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)").matcher(line.trim());
                if (category.find() && Long.parseLong(category.group(3)) >= 1024) {
                    summary.append(" %s %d MiB,".formatted(category.group(1).trim(), Long.parseLong(category.group(3)) / 1024));
                }
                var malloc = java.util.regex.Pattern.compile("^malloc: (\\d+)KB").matcher(line.trim());
                if (malloc.find() && nmtMallocKib < 0) {
                    nmtMallocKib = Long.parseLong(malloc.group(1)); // the first is the total of every category
                }
            }
            System.out.println(summary);
            String heap = jcmd("GC.heap_info");
            System.out.println("heap: " + heap.lines().filter(l -> l.contains(" total ")).map(l -> l.trim().replaceAll("\\s*\\[.*", ""))
                    .reduce((a, b) -> a + "; " + b).orElse("?"));
            // The live heap's biggest classes (a full collection first): what each database costs there.
            System.out.println("live heap, largest classes:");
            jcmd("GC.class_histogram").lines().skip(3).limit(12).forEach(l -> System.out.println("  " + l.trim()));
            // glibc's malloc_info: per arena, the memory taken from the system and what of it is free.
            String info = jcmd("System.native_heap_info");
            long system = sumAttribute(info, "<system type=\"current\" size=\"");
            long free = sumAttribute(info, "<total type=\"fast\" count=\"\\d+\" size=\"") + sumAttribute(info, "<total type=\"rest\" count=\"\\d+\" size=\"");
            System.out.printf("glibc malloc: %d MiB from the system, %d MiB of it in use; NMT's malloc %s MiB: the rest, %d MiB, is SQLite's and other"
                    + " native libraries'%n", system / 1048576, (system - free) / 1048576, nmtMallocKib < 0 ? "?" : nmtMallocKib / 1024,
                    nmtMallocKib < 0 ? -1 : (system - free - nmtMallocKib * 1024) / 1048576);
        }

        /** Sums the sizes after {@code prefix} in the top-level (last) totals of malloc_info's XML. */
        private static long sumAttribute(String xml, String prefix) {
            // The document ends with the totals over every arena; those come after the last </heap>.
            int last = xml.lastIndexOf("</heap>");
            String totals = last < 0 ? xml : xml.substring(last);
            var m = java.util.regex.Pattern.compile(prefix + "(\\d+)\"").matcher(totals);
            long sum = 0;
            while (m.find()) {
                sum += Long.parseLong(m.group(1));
            }
            return sum;
        }

        private String jcmd(String... command) throws IOException, InterruptedException {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid)));
            cmd.addAll(List.of(command));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return out;
        }
    }
}
