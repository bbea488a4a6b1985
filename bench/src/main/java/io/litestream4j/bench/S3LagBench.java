package io.litestream4j.bench;

import io.litestream4j.replica.s3.S3ReplicaClient;
import io.litestream4j.replica.s3.S3TestServer;
import java.time.Duration;
import java.util.List;

/**
 * Data-loss window and request count with an S3 replica on loopback (S3Proxy): a writer commits
 * one-row transactions at 200/s for a minute while the replicator runs with sync-interval 0 and
 * with the 1 s default for object stores.
 *
 * <p>The window is measured as {@link LagBench} does; here S3Proxy also counts the requests.
 *
 * <pre>
 * ./mvnw -q -pl bench -am package -DskipTests
 * java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar io.litestream4j.bench.S3LagBench [SECONDS]
 * </pre>
 */
public final class S3LagBench {
    private static final int RATE = LagBench.RATE;

    private S3LagBench() {}

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        try (S3TestServer server = S3TestServer.start()) {
            server.createBucket("lag");
            System.out.printf("S3 data-loss window, %d one-row transactions/s for %d s per run, S3Proxy on loopback%n%n", RATE, seconds);
            // syncs: local L0 files (TXIDs) written; L0 PUTs: uploads of them (merged); all PUTs adds compaction output.
            System.out.printf("%-14s %7s %7s %7s %7s %8s %12s %14s %6s%n", "sync-interval", "p50 ms", "p90 ms", "p99 ms", "max ms", "syncs",
                    "L0 PUTs/min", "all PUTs/min", "LISTs");
            for (Duration interval : List.of(Duration.ZERO, Duration.ofSeconds(1))) {
                run(server, interval, seconds);
            }
        }
    }

    private static void run(S3TestServer server, Duration interval, int seconds) throws Exception {
        long putsBefore = server.operations("putBlob") + server.operations("completeMultipartUpload");
        long listsBefore = server.operations("list");
        long[] inRun = new long[2];
        LagBench.Result r = LagBench.measure(() -> new S3ReplicaClient(server.settings("lag", "run-" + interval.toMillis())), interval, seconds, () -> {
            inRun[0] = server.operations("putBlob") + server.operations("completeMultipartUpload") - putsBefore;
            inRun[1] = server.operations("list") - listsBefore;
        });
        System.out.printf("%-14s %7.0f %7.0f %7.0f %7.0f %8d %12.1f %14.1f %6d%n", interval.isZero() ? "0" : interval.toSeconds() + "s", r.p50(),
                r.p90(), r.p99(), r.max(), r.syncs(), r.l0Puts() / r.minutes(), inRun[0] / r.minutes(), inRun[1]);
    }
}
