package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import io.litestream4j.ltx.LtxDecoder;
import io.litestream4j.replica.s3.S3Store;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code bin/litestream} replicating to, and restoring from, each independent S3 server
 * (a subclass per server): what it stores is whole LTX files, byte for byte, and the restore
 * equals the source.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
abstract class S3ServerCliIT {
    private S3Store store;
    private String bucket;

    @TempDir
    Path dir;

    /** Starts the server under test. */
    abstract S3Store startStore() throws Exception;

    @BeforeAll
    void startServer() throws Exception {
        store = startStore();
        bucket = "cli-" + store.name().replace(' ', '-');
        store.createBucket(bucket);
    }

    @AfterAll
    void stopServer() {
        if (store != null) {
            store.close();
        }
    }

    static Map<String, String> credentials(S3Store store) {
        return Map.of("LITESTREAM_ACCESS_KEY_ID", store.accessKey(), "LITESTREAM_SECRET_ACCESS_KEY", store.secretKey());
    }

    /** Reads every object under {@code prefix} as the store keeps it and verifies it as an LTX file; returns their keys. */
    static List<String> verifyEveryStoredFile(S3Store store, String bucket, String prefix) throws IOException {
        try (var s3 = store.adminClient()) {
            List<String> keys = s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream().map(o -> o.key()).toList();
            for (String key : keys) {
                try (LtxDecoder d = new LtxDecoder(s3.getObject(b -> b.bucket(bucket).key(key)), store.name() + " " + key)) {
                    d.verify();
                }
            }
            return keys;
        }
    }

    @Test
    void replicateAndRestoreThroughTheCli() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 200);
        String replica = store.url(bucket, "app.db");
        Map<String, String> env = credentials(store);

        CliProcess p = CliProcess.start(env, dir, "replicate", db.toString(), replica);
        assertThat(p.awaitLog("replicating to", Duration.ofSeconds(120))).as(p.output().toString()).isTrue();
        try (Connection c = TestDb.open(db)) {
            for (int i = 0; i < 30; i++) {
                TestDb.insert(c, 5, 2000);
            }
        }
        p.terminate();
        CliProcess.Result stopped = p.await(Duration.ofSeconds(120));
        assertThat(stopped.code()).as(stopped.toString()).isZero();
        assertThat(stopped.err()).doesNotContain(store.secretKey());

        List<String> stored = verifyEveryStoredFile(store, bucket, "app.db/");
        assertThat(stored).as("files replicated to %s", store.name()).isNotEmpty();

        Path restored = dir.resolve("restored.db");
        CliProcess.Result r = CliProcess.start(env, dir, "restore", "-integrity-check", "full", "-o", restored.toString(), replica)
                .await(Duration.ofSeconds(120));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("database checksum verified");
        assertThat(TestDb.digest(restored)).isEqualTo(TestDb.digest(db));
    }
}
