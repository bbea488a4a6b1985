package io.litestream4j.bench;

import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.Parallel;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlan;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.replica.s3.S3ReplicaClient;
import io.litestream4j.replica.s3.S3TestServer;
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
 * Restore from an object store against plainly downloading the same bytes: the replica that
 * {@link RestoreBench} builds (a snapshot, levels 1 and 2, 1,000 L0 files; 1 GiB by default) is
 * copied into S3Proxy on loopback; then, in turns, the restore plan's files are downloaded with
 * the same client and the same parallelism (whole objects into temporary files, nothing else), and
 * restored with {@link Restorer} in this process; last, {@code bin/litestream restore} from the
 * same bucket once, for its peak RSS ({@code /usr/bin/time}). Run from the project root:
 *
 * <pre>
 * ./mvnw -q -pl bench -am package -DskipTests
 * java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar io.litestream4j.bench.S3RestoreBench [WORK_DIR] [SIZE_MIB] [ROUNDS]
 * </pre>
 */
public final class S3RestoreBench {
    private static final int PARALLELISM = 8;
    private static final String BUCKET = "restore";

    private S3RestoreBench() {}

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args.length > 0 ? args[0] : "/tmp/litestream4j-s3-restore-bench").toAbsolutePath();
        long sizeMiB = args.length > 1 ? Long.parseLong(args[1]) : 1024;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Path replica = RestoreBench.ensureBuilt(work, sizeMiB);
        List<Double> download = new ArrayList<>();
        List<Double> restore = new ArrayList<>();
        try (S3TestServer server = S3TestServer.start(); S3ReplicaClient s3 = new S3ReplicaClient(server.settings(BUCKET, "db"))) {
            server.createBucket(BUCKET);
            long uploaded = upload(replica, s3);
            RestorePlan plan = RestorePlanner.plan(s3, OptionalLong.empty());
            double mib = plan.totalBytes() / 1048576.0;
            System.out.printf("uploaded %d MiB; the plan: %d files, %.0f MiB%n", uploaded >> 20, plan.files().size(), mib);
            Path downloads = Files.createDirectories(work.resolve("downloads"));
            Path out = work.resolve("restored-s3.db");
            for (int round = 0; round < rounds; round++) {
                long start = System.nanoTime();
                Parallel.map(plan.files(), PARALLELISM, f -> {
                    Path p = downloads.resolve(f.fileName());
                    try (InputStream in = s3.open(f.level(), f.range(), 0, -1)) {
                        Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
                    }
                    return p;
                });
                download.add((System.nanoTime() - start) / 1e9);
                RestoreBench.deleteTree(downloads);
                Files.createDirectories(downloads);

                Files.deleteIfExists(out);
                start = System.nanoTime();
                Restorer.Result r = Restorer.restore(s3, plan, new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.NONE, false),
                        PARALLELISM);
                restore.add((System.nanoTime() - start) / 1e9);
                if (!r.checksumVerified()) {
                    throw new IllegalStateException("restore from S3 did not verify the database checksum");
                }
                System.out.printf("round %d: download %.2f s, restore %.2f s%n", round + 1, download.getLast(), restore.getLast());
            }
            Files.deleteIfExists(out);
            String rss = cliRestore(server, out);
            double d = median(download);
            double r = median(restore);
            System.out.printf("%nS3Proxy on loopback, %.0f MiB in %d files, parallelism %d, %d rounds: median [min-max]%n", mib, plan.files().size(),
                    PARALLELISM, rounds);
            System.out.printf("| plain download of the plan's files | %.2f s [%.2f-%.2f] | %.0f MiB/s |%n", d, Collections.min(download),
                    Collections.max(download), mib / d);
            System.out.printf("| restore (in process) | %.2f s [%.2f-%.2f] | %.0f MiB/s |%n", r, Collections.min(restore), Collections.max(restore), mib / r);
            System.out.printf("restore throughput / download throughput: %.0f%% (target at least 70%%)%n", 100 * d / r);
            System.out.println("bin/litestream restore from the same bucket: " + rss);
        }
    }

    /** Copies the files a restore of the file replica needs into the bucket (the rest would only slow the upload); returns the bytes. */
    private static long upload(Path replica, ReplicaClient s3) throws Exception {
        long bytes = 0;
        try (FileReplicaClient files = new FileReplicaClient(replica)) {
            for (LtxFileInfo f : RestorePlanner.plan(files, OptionalLong.empty()).files()) {
                try (InputStream in = files.open(f.level(), f.range(), 0, -1)) {
                    s3.write(f.level(), f.range(), in, f.size(), f.createdAt());
                }
                bytes += f.size();
            }
        }
        return bytes;
    }

    /** One {@code bin/litestream restore} from the bucket: its time and peak RSS. */
    private static String cliRestore(S3TestServer server, Path out) throws Exception {
        Path rss = out.resolveSibling("rss.txt");
        List<String> command = List.of("/usr/bin/time", "-f", "%M", "-o", rss.toString(), "bin/litestream", "restore", "-o", out.toString(),
                server.url(BUCKET, "db"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(Map.of("AWS_ACCESS_KEY_ID", server.accessKey(), "AWS_SECRET_ACCESS_KEY", server.secretKey()));
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
