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
import java.nio.file.StandardCopyOption;
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
 * plan's files are downloaded with the same client and the same parallelism (whole objects into
 * temporary files, nothing else), and restored with {@link Restorer} in this process; last,
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
        long uploadStart = System.nanoTime();
        long uploaded = upload(replica, client);
        System.out.printf("uploaded %d MiB to %s in %.1f s%n", uploaded >> 20, cliUrl, (System.nanoTime() - uploadStart) / 1e9);
        RestorePlan plan = RestorePlanner.plan(client, OptionalLong.empty());
        double mib = plan.totalBytes() / 1048576.0;
        System.out.printf("the plan: %d files, %.0f MiB%n", plan.files().size(), mib);
        Path downloads = Files.createDirectories(work.resolve("downloads"));
        Path out = work.resolve("restored-replica.db");
        for (int round = 0; round < rounds; round++) {
            long start = System.nanoTime();
            Parallel.map(plan.files(), PARALLELISM, f -> {
                Path p = downloads.resolve(f.fileName());
                try (InputStream in = client.open(f.level(), f.range())) {
                    Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
                }
                return p;
            });
            download.add((System.nanoTime() - start) / 1e9);
            RestoreBench.deleteTree(downloads);
            Files.createDirectories(downloads);

            Files.deleteIfExists(out);
            start = System.nanoTime();
            Restorer.Result r = Restorer.restore(client, plan,
                    new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.NONE, false), PARALLELISM);
            restore.add((System.nanoTime() - start) / 1e9);
            if (!r.checksumVerified()) {
                throw new IllegalStateException("restore from " + cliUrl + " did not verify the database checksum");
            }
            System.out.printf("round %d: download %.2f s, restore %.2f s%n", round + 1, download.getLast(), restore.getLast());
        }
        Files.deleteIfExists(out);
        String cli = cliRestore(cliUrl, cliEnvironment, out);
        double d = median(download);
        double r = median(restore);
        System.out.printf("%n%s, %.0f MiB in %d files, parallelism %d, %d rounds: median [min-max]%n", cliUrl, mib, plan.files().size(),
                PARALLELISM, rounds);
        System.out.printf("| plain download of the plan's files | %.2f s [%.2f-%.2f] | %.0f MiB/s |%n", d, Collections.min(download),
                Collections.max(download), mib / d);
        System.out.printf("| restore (in process) | %.2f s [%.2f-%.2f] | %.0f MiB/s |%n", r, Collections.min(restore), Collections.max(restore),
                mib / r);
        System.out.printf("restore throughput / download throughput: %.0f%% (target at least 70%%)%n", 100 * d / r);
        System.out.println("bin/litestream restore from the same replica: " + cli);
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

    /** One {@code bin/litestream restore} of the URL: its time and peak RSS. */
    private static String cliRestore(String url, Map<String, String> environment, Path out) throws Exception {
        Path rss = out.resolveSibling("rss.txt");
        List<String> command = List.of("/usr/bin/time", "-f", "%M", "-o", rss.toString(), "bin/litestream", "restore", "-o", out.toString(), url);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(environment);
        long start = System.nanoTime();
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0 || !output.contains("database checksum verified")) {
            throw new IllegalStateException("bin/litestream restore failed:\n" + output);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Files.deleteIfExists(out);
        return "%.2f s end to end, peak RSS %d MiB".formatted(seconds, Long.parseLong(Files.readString(rss).strip()) / 1024);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
