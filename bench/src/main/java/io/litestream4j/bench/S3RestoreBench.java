package io.litestream4j.bench;

import io.litestream4j.replica.s3.S3ReplicaClient;
import io.litestream4j.replica.s3.S3TestServer;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@link ReplicaRestoreBench} against S3Proxy on loopback, started in this JVM (filesystem store):
 * restore from an object store against plainly downloading the same bytes. Run from the project
 * root:
 *
 * <pre>
 * ./mvnw -q -pl bench -am package -DskipTests
 * java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar io.litestream4j.bench.S3RestoreBench [WORK_DIR] [SIZE_MIB] [ROUNDS]
 * </pre>
 */
public final class S3RestoreBench {
    private static final String BUCKET = "restore";

    private S3RestoreBench() {}

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args.length > 0 ? args[0] : "/tmp/litestream4j-s3-restore-bench").toAbsolutePath();
        long sizeMiB = args.length > 1 ? Long.parseLong(args[1]) : 1024;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Path replica = RestoreBench.ensureBuilt(work, sizeMiB);
        try (S3TestServer server = S3TestServer.start(); S3ReplicaClient s3 = new S3ReplicaClient(server.settings(BUCKET, "db"))) {
            server.createBucket(BUCKET);
            ReplicaRestoreBench.measure(replica, s3, server.url(BUCKET, "db"),
                    Map.of("AWS_ACCESS_KEY_ID", server.accessKey(), "AWS_SECRET_ACCESS_KEY", server.secretKey()), work, rounds);
        }
    }
}
