package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Timeout;

/** {@code addr:} in the config: Litestream's metrics and a health check, scraped over HTTP from the real process. */
@Timeout(600) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class MetricsCliIT {
    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static double sample(String metrics, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    @Test
    void metricsAndHealthAreServedWhileReplicating() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path cfg = dir.resolve("litestream.yml");
        Files.writeString(cfg, """
                addr: 127.0.0.1:0
                dbs:
                  - path: %s
                    min-checkpoint-page-count: 20
                    replica:
                      name: backup
                      path: %s
                """.formatted(db, dir.resolve("replica")));
        CliProcess p = CliProcess.start(dir, "replicate", "-config", cfg.toString());
        assertThat(p.awaitLog("replicating to", Duration.ofSeconds(60))).as(p.output().toString()).isTrue();
        Matcher m = Pattern.compile("serving metrics on http://[^:]+:(\\d+)/metrics").matcher(p.output().err());
        assertThat(m.find()).as(p.output().toString()).isTrue();
        int port = Integer.parseInt(m.group(1));
        try (Connection c = TestDb.open(db)) {
            for (int i = 0; i < 40; i++) {
                TestDb.insert(c, 1, 3000); // enough frames for a checkpoint
            }
        }
        String d = "{db=\"" + db + "\"}";
        String metrics = "";
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            metrics = get(port, "/metrics").body();
            String replicaLabels = "{db=\"" + db + "\",name=\"backup\",replica=\"file://" + dir.resolve("replica") + "/\"}";
            if (sample(metrics, "litestream_txid" + d) >= 2 && sample(metrics, "litestream_replica_txid" + replicaLabels) == sample(metrics, "litestream_txid" + d)
                    && !Double.isNaN(sample(metrics, "litestream_checkpoint_count{db=\"" + db + "\",mode=\"PASSIVE\"}"))
                    && sample(metrics, "litestream_replica_lag_seconds" + replicaLabels) == 0) {
                break;
            }
            Thread.sleep(100);
        }
        // A TXID is a sync, not a transaction: the 40 inserts took a few.
        assertThat(sample(metrics, "litestream_txid" + d)).as(metrics).isGreaterThanOrEqualTo(2);
        assertThat(sample(metrics, "litestream_db_size" + d)).isPositive();
        assertThat(sample(metrics, "litestream_wal_size" + d)).isGreaterThanOrEqualTo(0);
        assertThat(sample(metrics, "litestream_sync_count" + d)).isGreaterThanOrEqualTo(2);
        assertThat(sample(metrics, "litestream_sync_error_count" + d)).isZero();
        assertThat(sample(metrics, "litestream_sync_seconds" + d)).isPositive();
        assertThat(sample(metrics, "litestream_checkpoint_count{db=\"" + db + "\",mode=\"PASSIVE\"}")).isGreaterThanOrEqualTo(1);
        assertThat(sample(metrics, "litestream_replica_operation_total{operation=\"PUT\",replica_type=\"file\"}")).isGreaterThanOrEqualTo(1);
        assertThat(sample(metrics, "litestream_replica_operation_bytes{operation=\"PUT\",replica_type=\"file\"}")).isPositive();
        assertThat(metrics).contains("litestream_replica_operation_duration_seconds_bucket{operation=\"PUT\",replica_type=\"file\",le=");
        // The configured name beside the URL (the URL label stays for existing dashboards).
        String replica = "{db=\"" + db + "\",name=\"backup\",replica=\"file://" + dir.resolve("replica") + "/\"}";
        assertThat(sample(metrics, "litestream_replica_lag_seconds" + replica)).as(metrics).isZero();
        assertThat(sample(metrics, "litestream_replica_txid" + replica)).isEqualTo(sample(metrics, "litestream_txid" + d));
        assertThat(sample(metrics, "litestream_replica_last_sync_timestamp_seconds" + replica))
                .isCloseTo(System.currentTimeMillis() / 1000.0, org.assertj.core.data.Offset.offset(60.0));

        HttpResponse<String> health = get(port, "/healthz");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("ok\n");

        p.terminate();
        CliProcess.Result r = p.await(Duration.ofSeconds(60));
        assertThat(r.code()).as(r.toString()).isZero();
    }

    @Test
    void aPortInUseFailsTheStart() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 1);
        try (var taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Path cfg = dir.resolve("litestream.yml");
            Files.writeString(cfg, "addr: 127.0.0.1:%d\ndbs:\n  - path: %s\n    replica:\n      path: %s\n".formatted(taken.getLocalPort(), db, dir.resolve("r")));
            CliProcess.Result r = CliProcess.run(dir, "replicate", "-config", cfg.toString());
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err()).contains("addr 127.0.0.1:" + taken.getLocalPort() + ": cannot listen");
            assertThat(Files.exists(dir.resolve("r"))).as("replication did not start").isFalse();
        }
    }

    @Test
    void aHeartbeatIsSentWhileReplicationIsHealthy() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 1);
        java.util.concurrent.atomic.AtomicInteger pings = new java.util.concurrent.atomic.AtomicInteger();
        com.sun.net.httpserver.HttpServer monitor = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 4);
        monitor.createContext("/ping/secret-token", exchange -> {
            pings.incrementAndGet();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        monitor.start();
        try {
            Path cfg = dir.resolve("litestream.yml");
            Files.writeString(cfg, "heartbeat-url: http://127.0.0.1:%d/ping/secret-token\nheartbeat-interval: 1m\ndbs:\n  - path: %s\n    replica:\n      path: %s\n"
                    .formatted(monitor.getAddress().getPort(), db, dir.resolve("r")));
            CliProcess p = CliProcess.start(dir, "replicate", "-config", cfg.toString(), "-log-level", "debug");
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            // The monitor counts the request before it answers, and the log line comes after
            // the answer: wait for both before stopping the process.
            while ((pings.get() == 0 || !p.output().err().contains("heartbeat sent")) && System.nanoTime() < deadline && p.isAlive()) {
                Thread.sleep(50);
            }
            assertThat(pings.get()).as(p.output().toString()).isEqualTo(1);
            p.terminate();
            CliProcess.Result r = p.await(Duration.ofSeconds(60));
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.err()).contains("heartbeat sent to http://127.0.0.1:" + monitor.getAddress().getPort() + "/...").doesNotContain("secret-token");
        } finally {
            monitor.stop(0);
        }
    }
}
