package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import io.litestream4j.replica.s3.BodyTamperingProxy;
import io.litestream4j.replica.s3.S3TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Corruption between the replicator and an S3 store, through the real {@code bin/litestream}:
 * bodies changed in transit are refused, counted and retried, and never become part of the
 * replica; a stored file changed afterwards makes compaction and restore fail loudly, naming it,
 * and the replica unhealthy (/healthz 503, error metric).
 */
@Timeout(300)
class S3CorruptionCliIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static S3TestServer server;

    @TempDir
    Path dir;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The sum of a counter's series whose labels include every one of {@code labels}. */
    private static double counter(String metrics, String name, String... labels) {
        double sum = 0;
        Matcher m = Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE).matcher(metrics);
        while (m.find()) {
            boolean all = true;
            for (String l : labels) {
                all &= m.group(1).contains(l);
            }
            sum += all ? Double.parseDouble(m.group(2)) : 0;
        }
        return sum;
    }

    private Path config(Path db, String replicaUrl, String extra) throws Exception {
        Path cfg = dir.resolve("litestream.yml");
        Files.writeString(cfg, """
                addr: 127.0.0.1:0
                %s
                dbs:
                  - path: %s
                    replica:
                      url: %s
                """.formatted(extra, db, replicaUrl));
        return cfg;
    }

    private static int metricsPort(CliProcess p) throws Exception {
        Matcher m = Pattern.compile("serving metrics on http://[^:]+:(\\d+)/metrics").matcher(p.output().err());
        assertThat(m.find()).as(p.output().toString()).isTrue();
        return Integer.parseInt(m.group(1));
    }

    @Test
    void bodiesCorruptedInTransitAreRetriedAndNeverReplicated() throws Exception {
        server.createBucket("transit");
        Path db = TestDb.create(dir, "app.db", 4096, 50);
        Map<String, String> env = S3ServerCliIT.credentials(server);
        try (BodyTamperingProxy proxy = new BodyTamperingProxy(server.endpoint())) {
            String viaProxy = "s3://transit/app.db?endpoint=" + proxy.endpoint();
            CliProcess p = CliProcess.start(env, dir, "replicate", "-config", config(db, viaProxy, "").toString());
            assertThat(p.awaitLog("replicating to", Duration.ofSeconds(120))).as(p.output().toString()).isTrue();
            int port = metricsPort(p);

            proxy.corruptNextBodies(3);
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            try (Connection c = TestDb.open(db)) {
                while (proxy.corruptionsLeft() > 0 && System.nanoTime() < deadline) {
                    TestDb.insert(c, 2, 1000);
                    Thread.sleep(200);
                }
                assertThat(proxy.corruptionsLeft()).as("three uploads went through the corrupting proxy").isZero();
                String metrics = "";
                while (System.nanoTime() < deadline
                        && counter(metrics = get(port, "/metrics").body(), "litestream_replica_operation_errors_total", "code=\"BadDigest\"",
                                "operation=\"PUT\"") < 3) {
                    Thread.sleep(100);
                }
                assertThat(counter(metrics, "litestream_replica_operation_errors_total", "code=\"BadDigest\"", "operation=\"PUT\""))
                        .as(metrics).isGreaterThanOrEqualTo(3);
                for (int i = 0; i < 5; i++) {
                    TestDb.insert(c, 2, 1000);
                }
            }
            p.terminate();
            CliProcess.Result stopped = p.await(Duration.ofSeconds(120));
            assertThat(stopped.code()).as(stopped.toString()).isZero();
            assertThat(stopped.err()).contains("upload to s3://transit/app.db").contains("the store refused the body");
        }
        assertThat(S3ServerCliIT.verifyEveryStoredFile(server, "transit", "app.db/")).as("every stored file is whole").isNotEmpty();
        Path restored = dir.resolve("restored.db");
        CliProcess.Result r = CliProcess.start(env, dir, "restore", "-integrity-check", "full", "-o", restored.toString(),
                server.url("transit", "app.db")).await(Duration.ofSeconds(120));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(TestDb.digest(restored)).isEqualTo(TestDb.digest(db));
    }

    @Test
    void aStoredFileCorruptedLaterFailsCompactionAndRestoreNamingIt() throws Exception {
        server.createBucket("later");
        Path db = TestDb.create(dir, "app.db", 4096, 50);
        Map<String, String> env = S3ServerCliIT.credentials(server);
        String replica = server.url("later", "app.db");
        // Two L0 files, with nothing compacted yet.
        CliProcess.Result once = CliProcess.start(env, dir, "replicate", "-once", db.toString(), replica).await(Duration.ofSeconds(120));
        assertThat(once.code()).as(once.toString()).isZero();
        try (Connection c = TestDb.open(db)) {
            TestDb.insert(c, 5, 1000);
        }
        once = CliProcess.start(env, dir, "replicate", "-once", db.toString(), replica).await(Duration.ofSeconds(120));
        assertThat(once.code()).as(once.toString()).isZero();
        String first = "app.db/0000/0000000000000001-0000000000000001.ltx";
        try (var s3 = server.adminClient()) {
            assertThat(s3.listObjectsV2(b -> b.bucket("later").prefix("app.db/0000/")).contents()).hasSizeGreaterThanOrEqualTo(2);
            // What a store that keeps aws-chunked framing holds instead of the file.
            s3.putObject(b -> b.bucket("later").key(first),
                    RequestBody.fromString("20000;chunk-signature=0123456789abcdef0123456789abcdef\r\n".repeat(10), StandardCharsets.US_ASCII));
        }

        CliProcess p = CliProcess.start(env, dir, "replicate", "-config", config(db, replica, "levels:\n  - interval: 1s").toString());
        assertThat(p.awaitLog("replicating to", Duration.ofSeconds(120))).as(p.output().toString()).isTrue();
        int port = metricsPort(p);
        HttpResponse<String> health = get(port, "/healthz");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (health.statusCode() == 200 && System.nanoTime() < deadline) {
            Thread.sleep(200);
            health = get(port, "/healthz");
        }
        assertThat(health.statusCode()).as(health.body()).isEqualTo(503);
        assertThat(health.body()).contains("replica s3://later/app.db").contains("compact level 1").contains("corrupt")
                .contains("0000000000000001-0000000000000001.ltx");
        String metrics = get(port, "/metrics").body();
        assertThat(counter(metrics, "litestream_replica_operation_errors_total", "code=\"Corrupt\"", "operation=\"GET\"",
                "replica_type=\"s3\"")).as(metrics).isGreaterThanOrEqualTo(1);
        assertThat(p.awaitLog("level=ERROR", Duration.ofSeconds(10))).isTrue();
        p.terminate();
        CliProcess.Result stopped = p.await(Duration.ofSeconds(120));
        assertThat(stopped.err()).containsPattern("level=ERROR msg=\"s3://later/app.db.*compact level 1 failed.*corrupt.*level 0 file 0000000000000001-0000000000000001.ltx");

        CliProcess.Result restore = CliProcess.start(env, dir, "restore", "-o", dir.resolve("restored.db").toString(), replica)
                .await(Duration.ofSeconds(120));
        assertThat(restore.code()).as(restore.toString()).isNotZero();
        assertThat(restore.err()).contains("0000000000000001-0000000000000001.ltx");
        assertThat(Files.exists(dir.resolve("restored.db"))).isFalse();
    }
}
