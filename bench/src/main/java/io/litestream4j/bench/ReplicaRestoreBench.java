package io.litestream4j.bench;

import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.Parallel;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlan;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import io.litestream4j.ltx.LtxFileInfo;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Restore from any replica against plainly downloading the same bytes: the files a restore of
 * {@link RestoreBench}'s file replica (a snapshot, levels 1 and 2, 1,000 L0 files; 1 GiB by
 * default) plans are copied to the replica at URL, which should be empty (any backend on the class
 * path; credentials from the environment, as for {@code bin/litestream}); then, in turns, the
 * plan's files are downloaded with the same client and the same parallelism (whole objects, each
 * over one of as many temporary files, nothing else), and restored with {@link Restorer} in this process; last,
 * {@code bin/litestream restore} from the same URL once, for its time and peak RSS
 * ({@code /usr/bin/time}). Run from the project root:
 *
 * <pre>
 * ./mvnw -q -pl bench -am package -DskipTests
 * java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar io.litestream4j.bench.ReplicaRestoreBench URL [WORK_DIR] [SIZE_MIB] [ROUNDS]
 * </pre>
 *
 * {@link S3RestoreBench} runs the same against S3Proxy started in this JVM.
 */
public final class ReplicaRestoreBench {
    /** Requests in flight, for the download and the restore alike. */
    static final int PARALLELISM = 8;

    private ReplicaRestoreBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ReplicaRestoreBench URL [WORK_DIR] [SIZE_MIB] [ROUNDS]");
            System.exit(2);
        }
        String url = args[0];
        Path work = Path.of(args.length > 1 ? args[1] : "/tmp/litestream4j-replica-restore-bench").toAbsolutePath();
        long sizeMiB = args.length > 2 ? Long.parseLong(args[2]) : 1024;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        Path replica = RestoreBench.ensureBuilt(work, sizeMiB);
        try (ReplicaClient client = ReplicaClients.open(url)) {
            measure(replica, client, url, Map.of(), work, rounds);
        }
    }

    /**
     * Uploads the plan's files from {@code replica} to {@code client}, then times downloads and
     * restores in turns and one {@code bin/litestream restore} of {@code cliUrl} (run with
     * {@code cliEnvironment} added to this process's environment), printing each round and a
     * summary.
     */
    static void measure(Path replica, ReplicaClient client, String cliUrl, Map<String, String> cliEnvironment, Path work, int rounds)
            throws Exception {
        List<Double> download = new ArrayList<>();
        List<Double> restore = new ArrayList<>();
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long uploadStart = System.nanoTime();
        long uploaded = upload(replica, client);
        System.out.printf("uploaded %d MiB to %s in %.1f s%n", uploaded >> 20, cliUrl, (System.nanoTime() - uploadStart) / 1e9);
        RestorePlan plan = RestorePlanner.plan(client, OptionalLong.empty());
        double mib = plan.totalBytes() / 1048576.0;
        System.out.printf("the plan: %d files, %.0f MiB%n", plan.files().size(), mib);
        // The plain download writes each object over one of PARALLELISM files rather than into a
        // new file each: making a thousand files is no part of downloading the bytes, and right after
        // others were deleted it is slow on ext4 without a journal (see Prefetcher), which would
        // flatter the restore.
        Path downloads = Files.createDirectories(work.resolve("downloads"));
        var spoolFiles = new java.util.concurrent.ConcurrentLinkedQueue<Path>();
        for (int i = 0; i < PARALLELISM; i++) {
            spoolFiles.add(Files.createTempFile(downloads, "download-", ".ltx"));
        }
        Path out = work.resolve("restored-replica.db");
        for (int round = 0; round < rounds; round++) {
            Profile profile = Profile.start("download", round);
            long start = System.nanoTime();
            long cpu = os.getProcessCpuTime();
            Parallel.map(plan.files(), PARALLELISM, f -> {
                Path p = spoolFiles.poll(); // Parallel.map runs at most PARALLELISM at once
                if (p == null) {
                    throw new IllegalStateException("more than " + PARALLELISM + " downloads at once");
                }
                try (InputStream in = client.open(f.level(), f.range()); var to = Files.newOutputStream(p)) {
                    in.transferTo(to);
                } finally {
                    spoolFiles.add(p);
                }
                return p;
            });
            download.add((System.nanoTime() - start) / 1e9);
            double downloadCpu = (os.getProcessCpuTime() - cpu) / 1e9;
            profile.stop();

            Files.deleteIfExists(out);
            profile = Profile.start("restore", round);
            start = System.nanoTime();
            cpu = os.getProcessCpuTime();
            Restorer.Result r = Restorer.restore(client, plan,
                    new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.NONE, false), PARALLELISM);
            restore.add((System.nanoTime() - start) / 1e9);
            double restoreCpu = (os.getProcessCpuTime() - cpu) / 1e9;
            profile.stop();
            if (!r.checksumVerified()) {
                throw new IllegalStateException("restore from " + cliUrl + " did not verify the database checksum");
            }
            System.out.printf("round %d: download %.2f s (CPU %.2f s), restore %.2f s (CPU %.2f s); CPU of this process, a server in it included%n",
                    round + 1, download.getLast(), downloadCpu, restore.getLast(), restoreCpu);
        }
        RestoreBench.deleteTree(downloads);
        Files.deleteIfExists(out);
        // -Dbench.launchers=A,B compares two builds' restores from the same server, in turns.
        List<String> launchers = List.of(System.getProperty("bench.launchers", "bin/litestream").split(","));
        Map<String, List<Double>> cliSeconds = new java.util.LinkedHashMap<>();
        List<String> cli = new ArrayList<>();
        for (int run = 0; run < Integer.getInteger("bench.cliRuns", 1); run++) {
            for (String launcher : launchers) {
                CliRun r = cliRestore(launcher, cliUrl, cliEnvironment, out, work.resolve("cli-restore-%d.log".formatted(run + 1)));
                cliSeconds.computeIfAbsent(launcher, k -> new ArrayList<>()).add(r.seconds());
                cli.add("%s: %.2f s end to end, peak RSS %d MiB".formatted(launcher, r.seconds(), r.peakRssMiB()));
                System.out.println("  " + cli.getLast());
            }
        }
        double d = median(download);
        double r = median(restore);
        System.out.printf("%n%s, %.0f MiB in %d files, parallelism %d, %d rounds: median [min-max]%n", cliUrl, mib, plan.files().size(),
                PARALLELISM, rounds);
        System.out.printf("| plain download of the plan's files | %.2f s [%.2f-%.2f] | %.0f MiB/s |%n", d, Collections.min(download),
                Collections.max(download), mib / d);
        System.out.printf("| restore (in process) | %.2f s [%.2f-%.2f] | %.0f MiB/s |%n", r, Collections.min(restore), Collections.max(restore),
                mib / r);
        System.out.printf("restore throughput / download throughput: %.0f%% (target at least 70%%)%n", 100 * d / r);
        cliSeconds.forEach((launcher, seconds) -> System.out.printf("%s restore from the same replica: %.2f s [%.2f-%.2f] over %d runs%n",
                launcher, median(seconds), Collections.min(seconds), Collections.max(seconds), seconds.size()));
    }

    /**
     * With {@code -Dbench.jfr=SETTINGS,DIR}, a flight recording of one phase of one round
     * ({@code DIR/download-1.jfr}, {@code DIR/restore-1.jfr}, ...) with the given settings file
     * (made by {@code jfr configure}); otherwise nothing.
     */
    private record Profile(jdk.jfr.Recording recording, Path file) {
        static Profile start(String phase, int round) throws Exception {
            String spec = System.getProperty("bench.jfr");
            if (spec == null) {
                return new Profile(null, null);
            }
            String[] parts = spec.split(",", 2);
            var recording = new jdk.jfr.Recording(jdk.jfr.Configuration.create(Path.of(parts[0])));
            recording.start();
            return new Profile(recording, Path.of(parts[1], "%s-%d.jfr".formatted(phase, round + 1)));
        }

        void stop() throws Exception {
            if (recording != null) {
                recording.stop();
                recording.dump(file);
                recording.close();
            }
        }
    }

    /** Copies the files a restore of the file replica needs (the rest would only slow the upload); returns the bytes. */
    private static long upload(Path replica, ReplicaClient target) throws Exception {
        long bytes = 0;
        try (FileReplicaClient files = new FileReplicaClient(replica)) {
            for (LtxFileInfo f : RestorePlanner.plan(files, OptionalLong.empty()).files()) {
                try (InputStream in = files.open(f.level(), f.range())) {
                    target.write(f.level(), f.range(), in, f.size(), f.createdAt());
                }
                bytes += f.size();
            }
        }
        return bytes;
    }

    /** One CLI restore's wall time and peak RSS. */
    private record CliRun(double seconds, long peakRssMiB) {}

    /** One {@code LAUNCHER restore} of the URL, its output kept in {@code log}: its time and peak RSS. */
    private static CliRun cliRestore(String launcher, String url, Map<String, String> environment, Path out, Path log) throws Exception {
        Path rss = out.resolveSibling("rss.txt");
        List<String> command = List.of("/usr/bin/time", "-f", "%M", "-o", rss.toString(), launcher, "restore", "-o", out.toString(), url);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(environment);
        long start = System.nanoTime();
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes());
        Files.writeString(log, output);
        if (p.waitFor() != 0 || !output.contains("database checksum verified")) {
            throw new IllegalStateException(launcher + " restore failed:\n" + output);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Files.deleteIfExists(out);
        return new CliRun(seconds, Long.parseLong(Files.readString(rss).strip()) / 1024);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
