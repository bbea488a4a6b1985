package io.litestream4j.bench.compare;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * litestream4j against the real Litestream (v0.3.13), both as users run them: the command line,
 * a file replica, default settings (and ours once more with its fastest settings). Each metric is
 * measured for every tool in each round, the order rotating from round to round; the table shows
 * medians (data-loss percentiles pool every sample) and the ratio ours / Litestream's. Run it
 * with {@code bench/compare} (see docs/benchmarks.md).
 *
 * <pre>
 * java -Dproject.root=. -cp bench/target/benchmarks.jar io.litestream4j.bench.compare.CompareBench LITESTREAM_BINARY [ROUNDS] [JSON_OUT]
 * </pre>
 */
public final class CompareBench {
    static final int LOSS_RATE = 200;
    static final int LOSS_SECONDS = 20;
    static final int LOSS_COPIES = 20;
    static final int OVERHEAD_TRANSACTIONS = 200_000;
    static final int IDLE_BURST = 5_000;
    static final int IDLE_SECONDS = 30;
    /** The application's checkpoints per tool and round, and their spacing (the 1.3 s). */
    static final int APP_CHECKPOINTS = 30;
    static final java.time.Duration APP_CHECKPOINT_SPACING = java.time.Duration.ofMillis(1300);

    private final Path work;
    private final Samples samples = new Samples();
    private final Random random = new Random(1);

    private CompareBench(Path work) {
        this.work = work;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: CompareBench LITESTREAM_BINARY [ROUNDS] [JSON_OUT]");
            System.exit(2);
        }
        Path root = Path.of(System.getProperty("project.root", ".")).toAbsolutePath().normalize();
        Path litestream = Path.of(args[0]).toAbsolutePath();
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path json = Path.of(args.length > 2 ? args[2] : root.resolve("bench/target/compare.json").toString());
        List<Tool> tools = List.of(Tool.ours(root), Tool.litestream(litestream), Tool.oursFast(root));

        CompareBench bench = new CompareBench(Files.createTempDirectory("comparebench"));
        System.out.println("work folder: " + bench.work + "; logs: <work>/<tool>-*.log");
        Map<String, Measurement> measurements = new LinkedHashMap<>();
        measurements.put("startup", bench::startUp);
        measurements.put("loss", bench::dataLoss);
        measurements.put("overhead", bench::writerOverhead);
        measurements.put("idle", bench::idle);
        measurements.put("appcheckpoints", bench::appCheckpoints);
        // -Dbench.metrics=startup,loss,overhead,restore,idle,appcheckpoints picks some (all by default).
        Set<String> chosen = Set.of(System.getProperty("bench.metrics", String.join(",", measurements.keySet()) + ",restore").split(","));
        RestoreShapes restore = null;
        if (chosen.contains("restore")) {
            // Its own rounds: each shape's database is built once and restored every round.
            restore = new RestoreShapes(bench.work, bench.samples, tools.get(0), tools.get(1));
            restore.run(rounds);
        }
        for (int round = 0; round < rounds; round++) {
            List<Tool> order = rotate(tools, round);
            for (Map.Entry<String, Measurement> m : measurements.entrySet()) {
                if (!chosen.contains(m.getKey())) {
                    continue;
                }
                if (m.getKey().equals("overhead") || m.getKey().equals("appcheckpoints")) {
                    m.getValue().measure(null); // the application alone: the baseline
                }
                for (Tool t : order) {
                    m.getValue().measure(t);
                }
            }
            System.out.printf("round %d of %d done%n", round + 1, rounds);
        }
        Report report = new Report(bench.samples, tools);
        if (measurements.keySet().stream().anyMatch(chosen::contains)) {
            report.print(System.out);
        }
        if (restore != null) {
            restore.print(System.out);
        }
        Files.createDirectories(json.toAbsolutePath().getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), report.json());
        System.out.println("JSON: " + json);
    }

    /** One metric measured for one tool (null for no replicator). */
    @FunctionalInterface
    private interface Measurement {
        void measure(Tool tool) throws Exception;
    }

    private static List<Tool> rotate(List<Tool> tools, int by) {
        List<Tool> order = new ArrayList<>(tools);
        java.util.Collections.rotate(order, -by);
        return order;
    }

    /** One step's folder, emptied. */
    private Path fresh(String name) throws IOException {
        Path dir = work.resolve(name);
        ReplicaFolder.delete(dir);
        return Files.createDirectories(dir);
    }

    private Path log(Tool tool, String what) {
        return work.resolve(tool.name() + "-" + what + ".log");
    }

    /** 5. From launching replicate to the first replica file; from launching restore to its exit. */
    private void startUp(Tool tool) throws Exception {
        Path dir = fresh("startup");
        Path db = dir.resolve("small.db");
        try (RowWriter w = new RowWriter(db)) {
            w.commitBatch(1_000, 100);
        }
        Path replica = dir.resolve("replica");
        long launched = System.nanoTime();
        try (RunningReplicator r = replicating(tool, db, replica, "startup")) {
            samples.add("startup_first_file_s", tool, (System.nanoTime() - launched) / 1e9);
            Thread.sleep(1_500); // let it finish the snapshot it began
        }
        Path out = dir.resolve("restored.db");
        double seconds = run(tool, tool.restore(replica, out), log(tool, "startup-restore"));
        samples.add("startup_restore_small_s", tool, seconds);
        check(RowWriter.newestStamp(out) == RowWriter.newestStamp(db), tool + ": the small restore lacks the last row");
    }

    /**
     * 1. A writer commits one row every 5 ms; at random moments the replica folder is copied, as
     * a disaster would leave it; each copy is restored with the tool's own restore, and the
     * window is the time from the last restored commit to the copy's moment.
     */
    private void dataLoss(Tool tool) throws Exception {
        Path dir = fresh("loss");
        Path db = dir.resolve("app.db");
        Path replica = dir.resolve("replica");
        new RowWriter(db).close();
        List<Long> moments = new ArrayList<>();
        try (RunningReplicator r = replicating(tool, db, replica, "loss")) {
            AtomicBoolean stop = new AtomicBoolean();
            Thread writer = Thread.ofPlatform().start(() -> writeAtRate(db, stop));
            try {
                takeCopies(tool, r, replica, dir, moments);
            } finally {
                stop.set(true);
                writer.join();
            }
        }
        int failed = 0;
        for (int i = 0; i < moments.size(); i++) {
            Path out = dir.resolve("restored-" + i + ".db");
            Process p = tool.process(tool.restore(dir.resolve("copy-" + i), out), log(tool, "loss-restore")).start();
            if (p.waitFor() != 0 || !Files.exists(out)) {
                failed++;
                continue;
            }
            samples.add("loss_window_ms", tool, (moments.get(i) - RowWriter.newestStamp(out)) / 1000.0);
        }
        samples.add("loss_failed_restores", tool, failed);
    }

    /** LOSS_COPIES copies of the replica at random moments over LOSS_SECONDS, after 3 s of writes. */
    private void takeCopies(Tool tool, RunningReplicator r, Path replica, Path dir, List<Long> moments) throws Exception {
        Thread.sleep(3_000);
        long start = System.nanoTime();
        List<Long> offsets = new ArrayList<>();
        for (int i = 0; i < LOSS_COPIES; i++) {
            offsets.add((long) (random.nextDouble() * LOSS_SECONDS * 1e9));
        }
        offsets.sort(null);
        long notBefore = 0;
        for (int i = 0; i < offsets.size(); i++) {
            // A copy freezes the tool for as long as the copy takes (up to a second once
            // thousands of files are there); the next moment comes a second after it resumes,
            // so that no sample measures the catching up from our own pause.
            long wait = Math.max(start + offsets.get(i), notBefore) - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            // The disaster: the replicator stops dead (SIGSTOP, every thread at once), and
            // its replica folder is copied as it stands; then it carries on. Copying a folder
            // that is being written would miss files renamed during the walk.
            r.freeze();
            moments.add(RowWriter.nowMicros());
            long frozen = System.nanoTime();
            try {
                ReplicaFolder.copy(replica, dir.resolve("copy-" + i));
            } finally {
                r.thaw();
            }
            samples.add("loss_copy_ms", tool, (System.nanoTime() - frozen) / 1e6);
            notBefore = System.nanoTime() + 1_000_000_000L;
        }
    }

    private static void writeAtRate(Path db, AtomicBoolean stop) {
        try (RowWriter w = new RowWriter(db)) {
            long start = System.nanoTime();
            for (long i = 0; !stop.get(); i++) {
                long wait = start + i * 1_000_000_000L / LOSS_RATE - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                w.commit(100);
            }
        } catch (Exception e) {
            throw new IllegalStateException("writer failed", e);
        }
    }

    /** 2. One-row transactions at full speed, with this tool replicating (or none). */
    private void writerOverhead(Tool tool) throws Exception {
        Path dir = fresh("overhead");
        Path db = dir.resolve("app.db");
        Path replica = dir.resolve("replica");
        String name = tool == null ? "none" : tool.name();
        try (RowWriter w = new RowWriter(db)) {
            w.commit(100);
            RunningReplicator r = tool == null ? null : replicating(tool, db, replica, "overhead");
            try {
                double cpuBefore = r == null ? 0 : r.cpuSeconds();
                long start = System.nanoTime();
                for (int i = 0; i < OVERHEAD_TRANSACTIONS; i++) {
                    w.commit(100);
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                samples.add("writer_tx_per_s", name, OVERHEAD_TRANSACTIONS / seconds);
                if (r != null) {
                    Thread.sleep(2_000); // what the writes left to replicate
                    samples.add("writer_replicator_cpu_s", tool, r.cpuSeconds() - cpuBefore);
                    samples.add("writer_replicator_peak_rss_mib", tool, r.peakRssMib());
                }
            } finally {
                if (r != null) {
                    r.close();
                }
            }
        }
    }

    /**
     * 4. After a burst of writes and a few seconds for both tools to upload it: new replica files
     * and CPU seconds over the next IDLE_SECONDS, then over IDLE_SECONDS more.
     */
    private void idle(Tool tool) throws Exception {
        Path dir = fresh("idle");
        Path db = dir.resolve("app.db");
        Path replica = dir.resolve("replica");
        new RowWriter(db).close();
        try (RunningReplicator r = replicating(tool, db, replica, "idle")) {
            try (RowWriter w = new RowWriter(db)) {
                for (int i = 0; i < IDLE_BURST; i++) {
                    w.commit(100);
                }
            }
            Thread.sleep(5_000);
            for (String window : List.of("first", "second")) {
                Set<String> before = ReplicaFolder.files(replica);
                double cpu = r.cpuSeconds();
                Thread.sleep(IDLE_SECONDS * 1000L);
                Set<String> after = new java.util.HashSet<>(ReplicaFolder.files(replica));
                after.removeAll(before);
                samples.add("idle_" + window + "_new_files", tool, after.size());
                samples.add("idle_" + window + "_cpu_s", tool, r.cpuSeconds() - cpu);
                if (!after.isEmpty()) {
                    Files.writeString(log(tool, "idle"), "bench: new files in the " + window + " idle window: " + after + "\n",
                            java.nio.file.StandardOpenOption.APPEND);
                }
            }
        }
    }

    /**
     * 6. The application's own FULL, RESTART and TRUNCATE checkpoints beside two writers
     * ({@link AppCheckpoints}), with this tool replicating (or none): each one's duration, the
     * busy results, and the writers' SQLITE_BUSY errors.
     */
    private void appCheckpoints(Tool tool) throws Exception {
        Path dir = fresh("appcheckpoints");
        Path db = dir.resolve("app.db");
        try (RowWriter w = new RowWriter(db)) {
            w.commitBatch(1_000, 100);
        }
        String name = tool == null ? "none" : tool.name();
        RunningReplicator r = tool == null ? null : replicating(tool, db, dir.resolve("replica"), "appcheckpoints");
        try {
            AppCheckpoints.Result result = AppCheckpoints.run(db, APP_CHECKPOINTS, APP_CHECKPOINT_SPACING);
            result.millis().forEach(ms -> samples.add("app_checkpoint_ms", name, ms));
            samples.add("app_checkpoint_busy", name, result.busy());
            samples.add("app_checkpoint_locked_out", name, result.lockedOut());
            samples.add("app_writer_busy", name, result.writerBusy());
        } finally {
            if (r != null) {
                r.close();
            }
        }
    }

    /** Starts the tool on {@code db} and returns once its first replica file is there. */
    private RunningReplicator replicating(Tool tool, Path db, Path replica, String step) throws Exception {
        RunningReplicator r = RunningReplicator.start(tool, db, replica, log(tool, step));
        try {
            awaitFirstFile(r, replica);
            return r;
        } catch (Exception e) {
            r.close();
            throw e;
        }
    }

    private static void awaitFirstFile(RunningReplicator r, Path replica) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (ReplicaFolder.files(replica).isEmpty()) {
            r.cpuSeconds(); // throws if it died
            check(System.nanoTime() < deadline, "no replica file in " + replica + " after 60 s");
            Thread.sleep(5);
        }
    }

    private static double run(Tool tool, List<String> command, Path log) throws Exception {
        long start = System.nanoTime();
        Process p = tool.process(command, log).start();
        int exit = p.waitFor();
        double seconds = (System.nanoTime() - start) / 1e9;
        check(exit == 0, String.join(" ", command) + " exited with " + exit + "; see " + log);
        return seconds;
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException(message);
        }
    }
}
