package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.litestream4j.DatabaseOptions;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.TestDb;
import io.litestream4j.core.replica.FaultInjectingClient;
import io.litestream4j.core.replica.FaultInjectingClient.Mode;
import io.litestream4j.core.replica.FileReplicaClient;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Timeout;

/**
 * A replica whose uploads fail turns /healthz to 503 and stops the heartbeat, and both recover
 * when the uploads do: a real database and replicator, a file replica behind injected faults,
 * the real HTTP server and a real monitor on loopback.
 */
@Timeout(300) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class ReplicationHealthTest {
    @TempDir
    Path dir;

    @Test
    void aFailingReplicaTurnsHealthTo503AndStopsTheHeartbeatUntilItRecovers() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 5);
        FaultInjectingClient faults = new FaultInjectingClient(new FileReplicaClient(dir.resolve("replica")));
        DatabaseReplicator replicator = DatabaseReplicator.start(db, DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(100)),
                List.of(new DatabaseReplicator.Destination(faults, Duration.ZERO)), Clock.systemUTC());
        AtomicInteger pings = new AtomicInteger();
        HttpServer monitor = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
        monitor.createContext("/ping", exchange -> {
            pings.incrementAndGet();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        monitor.start();
        HttpClient http = HttpClient.newHttpClient();
        try (replicator; MetricsServer server = MetricsServer.start("127.0.0.1:0", new Metrics(() -> List.of(replicator)), () -> List.of(replicator));
                Heartbeat heartbeat = new Heartbeat(URI.create("http://127.0.0.1:%d/ping".formatted(monitor.getAddress().getPort())),
                        Duration.ofMillis(200), () -> List.of(replicator))) {
            URI health = URI.create("http://127.0.0.1:%d/healthz".formatted(server.port()));
            awaitTrue(() -> pings.get() > 0, "a first heartbeat while healthy");
            assertThat(http.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

            faults.mode(Mode.SERVER_ERRORS);
            try (Connection c = TestDb.open(db)) {
                TestDb.insert(c, 10, 100);
            }
            awaitTrue(() -> replicator.replicaStatuses().getFirst().lastError() != null, "the upload to fail");
            HttpResponse<String> failing = http.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(failing.statusCode()).isEqualTo(503);
            assertThat(failing.body()).contains("app.db: replica").contains("failing").contains("HTTP 500");
            int before = pings.get();
            Thread.sleep(1_000); // five heartbeat intervals
            assertThat(pings.get()).as("no heartbeat while a replica fails").isLessThanOrEqualTo(before + 1);

            faults.mode(Mode.NONE);
            awaitTrue(() -> replicator.replicaStatuses().getFirst().lastError() == null, "the upload to recover");
            assertThat(http.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            int recovered = pings.get();
            awaitTrue(() -> pings.get() > recovered, "heartbeats again after recovery");
        } finally {
            monitor.stop(0);
        }
    }

    @Test
    void anUnwritableReplicaIsReportedWithItsCauseAndAStableErrorCode() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 5);
        // As root (CI) a folder cannot be made unwritable: the writes fail as FileChannel.open fails there.
        FaultInjectingClient replica = new FaultInjectingClient(new FileReplicaClient(dir.resolve("replica")));
        Metrics metrics = new Metrics(List::of);
        DatabaseReplicator replicator = DatabaseReplicator.start(db, DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(100)),
                List.of(new DatabaseReplicator.Destination(replica, Duration.ZERO)), null, Clock.systemUTC(), metrics);
        HttpClient http = HttpClient.newHttpClient();
        try (replicator; MetricsServer server = MetricsServer.start("127.0.0.1:0", metrics, () -> List.of(replicator))) {
            replica.mode(Mode.PERMISSION_DENIED);
            try (Connection c = TestDb.open(db)) {
                TestDb.insert(c, 10, 100);
            }
            awaitTrue(() -> replicator.replicaStatuses().getFirst().lastError() != null, "the upload to fail");
            HttpResponse<String> failing = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:%d/healthz".formatted(server.port()))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(failing.statusCode()).isEqualTo(503);
            assertThat(failing.body()).contains(".ltx.tmp: permission denied");
            String scraped = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:%d/metrics".formatted(server.port()))).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(scraped).contains("litestream_replica_operation_errors_total{code=\"AccessDenied\",operation=\"PUT\",replica_type=\"file\"}")
                    .doesNotContain("Exception");
            replica.mode(Mode.NONE);
        }
    }

    @Test
    void aReplicaBehindForTheIntervalIsAProblemForTheHeartbeatOnly() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 5);
        FaultInjectingClient faults = new FaultInjectingClient(new FileReplicaClient(dir.resolve("replica")));
        faults.slowness(Duration.ofSeconds(3));
        try (DatabaseReplicator replicator = DatabaseReplicator.start(db, DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(100)),
                List.of(new DatabaseReplicator.Destination(faults, Duration.ZERO)), Clock.systemUTC())) {
            faults.mode(Mode.SLOW);
            try (Connection c = TestDb.open(db)) {
                TestDb.insert(c, 10, 100);
            }
            awaitTrue(() -> replicator.replicaStatuses().getFirst().lagMillis() >= 500, "the replica to fall behind");
            assertThat(ReplicationHealth.problems(List.of(replicator), Duration.ofMillis(500))).singleElement().asString().contains("s behind");
            assertThat(ReplicationHealth.problems(List.of(replicator), null)).as("slow is not failing").isEmpty();
            faults.mode(Mode.NONE);
        }
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }
}
