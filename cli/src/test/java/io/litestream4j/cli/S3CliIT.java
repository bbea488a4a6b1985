package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import io.litestream4j.replica.s3.S3TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Timeout;

/**
 * The real {@code bin/litestream} against a real S3 server on loopback (S3Proxy, signatures
 * checked): replicate, restore, point-in-time restore and the start-up errors, with credentials
 * passed as Litestream's environment variables and never printed.
 */
@Timeout(600) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class S3CliIT {
    private static S3TestServer server;

    @TempDir
    Path dir;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3TestServer.start();
        server.createBucket("backups");
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    private static String url(String bucket, String path) {
        return "s3://%s/%s?endpoint=%s".formatted(bucket, path, server.endpoint());
    }

    private static Map<String, String> credentials(String secret) {
        return Map.of("LITESTREAM_ACCESS_KEY_ID", S3TestServer.ACCESS_KEY, "LITESTREAM_SECRET_ACCESS_KEY", secret);
    }

    private static void assertNoSecret(CliProcess.Result r) {
        assertThat(r.out() + r.err()).doesNotContain(S3TestServer.SECRET_KEY).doesNotContain("wrong-secret-value");
    }

    @Test
    void replicateRestoreAndRestoreAtATime() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 100);
        String replica = url("backups", "app.db");
        Map<String, String> env = credentials(S3TestServer.SECRET_KEY);

        CliProcess p = CliProcess.start(env, dir, "replicate", db.toString(), replica);
        assertThat(p.awaitLog("replicating to", Duration.ofSeconds(60))).as(p.output().toString()).isTrue();
        String first = TestDb.digest(db);
        Thread.sleep(300); // the first state's file is written; the next writes come later
        Instant between = Instant.now();
        Thread.sleep(300);
        try (Connection c = TestDb.open(db)) {
            for (int i = 0; i < 20; i++) {
                TestDb.insert(c, 5, 500);
            }
        }
        p.terminate();
        CliProcess.Result stopped = p.await(Duration.ofSeconds(60));
        assertThat(stopped.code()).as(stopped.toString()).isZero();
        assertNoSecret(stopped);

        CliProcess.Result latest = CliProcess.run(env, dir, "restore", "-integrity-check", "full", "-o", dir.resolve("latest.db").toString(), replica);
        assertThat(latest.code()).as(latest.toString()).isZero();
        assertThat(latest.out()).contains("database checksum verified");
        assertThat(TestDb.digest(dir.resolve("latest.db"))).isEqualTo(TestDb.digest(db));

        CliProcess.Result atTime = CliProcess.run(env, dir, "restore", "-timestamp", between.toString(), "-o", dir.resolve("then.db").toString(), replica);
        assertThat(atTime.code()).as(atTime.toString()).isZero();
        assertThat(TestDb.digest(dir.resolve("then.db"))).isEqualTo(first);

        CliProcess.Result list = CliProcess.run(env, dir, "ltx", replica);
        assertThat(list.code()).as(list.toString()).isZero();
        assertThat(list.out()).contains("0000000000000001");
        assertNoSecret(latest);
        assertNoSecret(atTime);
    }

    @Test
    void wrongCredentialsAndMissingBucketFailAtStartNamingBucketAndEndpoint() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 5);

        CliProcess.Result denied = CliProcess.run(credentials("wrong-secret-value"), dir, "replicate", "-once", db.toString(), url("backups", "x"));
        assertThat(denied.code()).as(denied.toString()).isEqualTo(1);
        assertThat(denied.err()).contains("s3://backups/x").contains(server.endpoint().toString()).contains("HTTP 403");
        assertNoSecret(denied);

        CliProcess.Result missing = CliProcess.run(credentials(S3TestServer.SECRET_KEY), dir, "replicate", "-once", db.toString(), url("no-such-bucket", "x"));
        assertThat(missing.code()).as(missing.toString()).isEqualTo(1);
        assertThat(missing.err()).contains("s3://no-such-bucket/x").contains("the bucket does not exist");
        assertNoSecret(missing);

        CliProcess.Result unreachable = CliProcess.run(credentials(S3TestServer.SECRET_KEY), dir, "replicate", "-once", db.toString(),
                "s3://backups/x?endpoint=http://127.0.0.1:1");
        assertThat(unreachable.code()).as(unreachable.toString()).isEqualTo(1);
        assertThat(unreachable.err()).contains("s3://backups/x (endpoint http://127.0.0.1:1)");
        assertNoSecret(unreachable);
    }

    @Test
    void aLitestream03ReplicaOnS3IsRestored() throws Exception {
        // What Litestream 0.3 left in a bucket: the real 0.3.13 replica of the shared fixtures.
        Path fixture = io.litestream4j.core.restore.Litestream03Expected.fixture().resolve("replica");
        try (var s3 = server.adminClient(); var walk = Files.walk(fixture)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                s3.putObject(b -> b.bucket("backups").key("old/" + fixture.relativize(p).toString().replace('\\', '/')),
                        software.amazon.awssdk.core.sync.RequestBody.fromFile(p));
            }
        }
        Path out = dir.resolve("legacy.db");
        CliProcess.Result restored = CliProcess.run(credentials(S3TestServer.SECRET_KEY), dir, "restore", "-if-replica-exists", "-o", out.toString(),
                url("backups", "old"));
        assertThat(restored.code()).as(restored.toString()).isZero();
        assertThat(restored.out()).contains("from the Litestream 0.3 backup").doesNotContain("skipping");
        io.litestream4j.core.restore.Litestream03Expected.assertMatches(out);
        CliProcess.Result empty = CliProcess.run(credentials(S3TestServer.SECRET_KEY), dir, "restore", "-if-replica-exists", "-o", out.toString(),
                url("backups", "nothing-here"));
        assertThat(empty.code()).as("a replica with no backup at all is still skipped: %s", empty).isZero();
    }
}
