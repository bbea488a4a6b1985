package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import io.litestream4j.replica.nats.NatsServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code bin/litestream} replicating to a real nats-server (JetStream object store,
 * user and password required) while several writers change the database: restore of the
 * latest state, of a TXID and of a point in time, the start-up errors, kill -9 and restart, and the
 * server going away under load for 20 s and coming back.
 */
@Timeout(600) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class NatsCliIT {
    private static final String BUCKET = "backups";

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    /** A config replicating {@code db} to the server's bucket, credentials as config keys, metrics on a free port. */
    private Path config(Path db, NatsServer server) throws Exception {
        return CliProcess.writeConfig(dir, """
                addr: 127.0.0.1:0
                dbs:
                  - path: %s
                    replica:
                      url: nats://%s/%s
                      username: %s
                      password: %s
                      reconnect-wait: 500ms
                """.formatted(db, server.address(), BUCKET, NatsServer.USER, NatsServer.PASSWORD));
    }

    /** Writers, each on its own connection, inserting rows until stopped; counts their transactions. */
    private static final class Writers implements AutoCloseable {
        private final ExecutorService pool;
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicLong transactions = new AtomicLong();
        private final List<Future<?>> running = new ArrayList<>();

        Writers(Path db, int n) {
            pool = Executors.newFixedThreadPool(n);
            for (int i = 0; i < n; i++) {
                running.add(pool.submit(() -> {
                    try (Connection c = TestDb.open(db, 30_000)) {
                        while (!stop.get()) {
                            TestDb.insert(c, 3, 200);
                            transactions.incrementAndGet();
                            Thread.sleep(10);
                        }
                    }
                    return null;
                }));
            }
        }

        /** Stops the writers and rethrows any writer's failure. */
        long stop() throws Exception {
            stop.set(true);
            for (Future<?> f : running) {
                f.get(60, TimeUnit.SECONDS);
            }
            return transactions.get();
        }

        @Override
        public void close() {
            stop.set(true);
            pool.shutdownNow();
        }
    }

    private static int metricsPort(CliProcess p) throws Exception {
        Matcher m = Pattern.compile("serving metrics on http://[^:]+:(\\d+)/metrics").matcher(p.output().err());
        assertThat(m.find()).as(p.output().toString()).isTrue();
        return Integer.parseInt(m.group(1));
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static double sample(String metrics, String prefix) {
        Matcher m = Pattern.compile("^" + Pattern.quote(prefix) + "\\{[^}]*\\} (\\S+)$", Pattern.MULTILINE).matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    /** True once the replica holds the database's current TXID, per the process's own metrics. */
    private boolean caughtUp(int port) throws Exception {
        String metrics = get(port, "/metrics").body();
        double txid = sample(metrics, "litestream_txid");
        return txid > 0 && sample(metrics, "litestream_replica_txid") == txid;
    }

    /** Starts {@code replicate -config} for {@code db} and waits until it replicates. */
    private CliProcess replicate(Path db, NatsServer server) throws Exception {
        CliProcess p = CliProcess.start(dir, "replicate", "-config", config(db, server).toString());
        assertThat(p.awaitLog("replicating to", Duration.ofSeconds(120))).as(p.output().toString()).isTrue();
        return p;
    }

    /** Waits (at most 60 s) until the replica holds the database's current TXID; true if it does. */
    private boolean awaitCaughtUp(int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!caughtUp(port) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        return caughtUp(port);
    }

    private static void assertNoSecret(CliProcess.Result r) {
        assertThat(r.out() + r.err()).doesNotContain(NatsServer.PASSWORD).doesNotContain("wrong-password-value");
    }

    private static void assertRestoredEquals(Path restored, String digest) throws Exception {
        assertThat(TestDb.integrityCheck(restored)).isEqualTo("ok");
        assertThat(TestDb.digest(restored)).isEqualTo(digest);
    }

    @Test
    void concurrentWritersThenRestoreTheLatestStateAndAPointInTime() throws Exception {
        try (NatsServer server = NatsServer.start(NatsServer.Auth.PASSWORD)) {
            server.createBucket(BUCKET);
            Path db = TestDb.create(dir, "app.db", 4096, 100);
            CliProcess p = replicate(db, server);
            int port = metricsPort(p);

            try (Writers writers = new Writers(db, 3)) {
                Thread.sleep(3000);
                assertThat(writers.stop()).isPositive();
            }
            assertThat(awaitCaughtUp(port)).as("the replica caught up with the first writers").isTrue();
            String first = TestDb.digest(db);
            long firstTxid = (long) sample(get(port, "/metrics").body(), "litestream_txid");
            long firstRows;
            try (Connection c = TestDb.open(db)) {
                firstRows = TestDb.queryLong(c, "SELECT count(*) FROM t");
            }
            Thread.sleep(1500); // the first state's files carry earlier times than `between`
            Instant between = Instant.now();
            Thread.sleep(1500);
            try (Writers writers = new Writers(db, 3)) {
                Thread.sleep(3000);
                writers.stop();
            }
            p.terminate();
            CliProcess.Result stopped = p.await(Duration.ofSeconds(120));
            assertThat(stopped.code()).as(stopped.toString()).isZero();
            assertNoSecret(stopped);

            String url = server.url(BUCKET); // the URL form, user and password in it, as Litestream takes them
            Path latest = dir.resolve("latest.db");
            CliProcess.Result restored = CliProcess.start(dir, "restore", "-integrity-check", "full", "-o", latest.toString(), url)
                    .await(Duration.ofSeconds(120));
            assertThat(restored.code()).as(restored.toString()).isZero();
            assertThat(restored.out()).contains("database checksum verified");
            assertRestoredEquals(latest, TestDb.digest(db));
            assertNoSecret(restored);

            Path then = dir.resolve("then.db");
            CliProcess.Result atTime = CliProcess.start(dir, "restore", "-timestamp", between.toString(), "-o", then.toString(), url)
                    .await(Duration.ofSeconds(120));
            assertThat(atTime.code()).as(atTime.toString()).isZero();
            assertRestoredEquals(then, first);
            try (Connection c = TestDb.open(then)) {
                assertThat(TestDb.queryLong(c, "SELECT count(*) FROM t")).isEqualTo(firstRows);
            }

            Path atTxid = dir.resolve("txid.db");
            CliProcess.Result byTxid = CliProcess.start(dir, "restore", "-txid", "%016x".formatted(firstTxid), "-o", atTxid.toString(), url)
                    .await(Duration.ofSeconds(120));
            assertThat(byTxid.code()).as(byTxid.toString()).isZero();
            assertRestoredEquals(atTxid, first);

            CliProcess.Result ltx = CliProcess.start(dir, "ltx", url).await(Duration.ofSeconds(120));
            assertThat(ltx.code()).as(ltx.toString()).isZero();
            assertThat(ltx.out()).contains("0000000000000001");
        }
    }

    @Test
    void aMissingBucketWrongPasswordOrUnreachableServerFailAtStartNamingIt() throws Exception {
        try (NatsServer server = NatsServer.start(NatsServer.Auth.PASSWORD)) {
            server.createBucket(BUCKET);
            Path db = TestDb.create(dir, "app.db", 4096, 5);

            CliProcess.Result missing = CliProcess.start(dir, "replicate", "-once", db.toString(), server.url("no-such-bucket"))
                    .await(Duration.ofSeconds(120));
            assertThat(missing.code()).as(missing.toString()).isEqualTo(1);
            assertThat(missing.err()).contains("nats://" + server.address() + "/no-such-bucket").contains("does not exist")
                    .contains("nats object add no-such-bucket");
            assertNoSecret(missing);

            String wrong = "nats://%s:wrong-password-value@%s/%s".formatted(NatsServer.USER, server.address(), BUCKET);
            CliProcess.Result denied = CliProcess.start(dir, "replicate", "-once", db.toString(), wrong).await(Duration.ofSeconds(120));
            assertThat(denied.code()).as(denied.toString()).isEqualTo(1);
            assertThat(denied.err()).contains("nats://" + server.address() + "/" + BUCKET).contains("Authorization Violation");
            assertNoSecret(denied);

            CliProcess.Result unreachable = CliProcess.start(dir, "replicate", "-once", db.toString(), "nats://127.0.0.1:1/" + BUCKET + "?timeout=2s")
                    .await(Duration.ofSeconds(120));
            assertThat(unreachable.code()).as(unreachable.toString()).isEqualTo(1);
            assertThat(unreachable.err()).contains("cannot connect to nats://127.0.0.1:1");

            // The daemon too: it does not start against a server it cannot reach.
            server.stopProcess();
            CliProcess.Result down = CliProcess.start(dir, "replicate", "-config", config(db, server).toString()).await(Duration.ofSeconds(120));
            assertThat(down.code()).as(down.toString()).isEqualTo(1);
            assertThat(down.err()).contains("cannot connect to nats://" + server.address()).contains("user litestream and password");
            assertNoSecret(down);
        }
    }

    @Test
    void theServerStoppedUnderLoadFor20SecondsLosesNothingAndTheReplicaCatchesUp() throws Exception {
        try (NatsServer server = NatsServer.start(NatsServer.Auth.PASSWORD)) {
            server.createBucket(BUCKET);
            Path db = TestDb.create(dir, "app.db", 4096, 100);
            CliProcess p = replicate(db, server);
            int port = metricsPort(p);
            Duration recovery;
            try (Writers writers = new Writers(db, 2)) {
                Thread.sleep(2000);
                server.stopProcess();
                Thread.sleep(20_000); // the outage the issue names
                HttpResponse<String> health = get(port, "/healthz");
                assertThat(health.statusCode()).as(health.body()).isEqualTo(503);
                assertThat(health.body()).contains("nats://" + server.address() + "/" + BUCKET);
                server.startProcess();
                long back = System.nanoTime();
                // Under load the TXID moves on; caught up means the replica reached the TXID the
                // database had when the server came back, and then the current one.
                String metrics = get(port, "/metrics").body();
                double target = sample(metrics, "litestream_txid");
                long deadline = back + Duration.ofSeconds(60).toNanos();
                while (sample(get(port, "/metrics").body(), "litestream_replica_txid") < target && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                recovery = Duration.ofNanos(System.nanoTime() - back);
                writers.stop();
            }
            System.out.println("nats outage of 20 s: the replica reached the TXID at the server's return in " + recovery.toMillis() + " ms");
            assertThat(recovery).as("lag recovers within 10 s of the server's return").isLessThanOrEqualTo(Duration.ofSeconds(10));
            assertThat(awaitCaughtUp(port)).as("caught up with the writers").isTrue();
            // Uploads recover at once; a compaction that failed during the outage reports until the
            // next one at its level's interval (L1: 30 s) succeeds, so health may take that long.
            HttpResponse<String> health = get(port, "/healthz");
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (health.statusCode() != 200 && System.nanoTime() < deadline) {
                Thread.sleep(500);
                health = get(port, "/healthz");
            }
            assertThat(health.statusCode()).as("healthy again: %s", health.body()).isEqualTo(200);
            p.terminate();
            CliProcess.Result stopped = p.await(Duration.ofSeconds(120));
            assertThat(stopped.code()).as(stopped.toString()).isZero();
            assertThat(stopped.err()).contains("nats replica nats://" + server.address() + "/" + BUCKET);
            assertNoSecret(stopped);

            Path restored = dir.resolve("restored.db");
            CliProcess.Result r = CliProcess.start(dir, "restore", "-integrity-check", "full", "-o", restored.toString(), server.url(BUCKET))
                    .await(Duration.ofSeconds(120));
            assertThat(r.code()).as(r.toString()).isZero();
            assertRestoredEquals(restored, TestDb.digest(db));
        }
    }

    @Test
    void killedMidRunThenRestartedItResumesAndLosesNothing() throws Exception {
        try (NatsServer server = NatsServer.start(NatsServer.Auth.PASSWORD)) {
            server.createBucket(BUCKET);
            Path db = TestDb.create(dir, "app.db", 4096, 100);
            try (Writers writers = new Writers(db, 2)) {
                CliProcess first = replicate(db, server);
                Thread.sleep(3000);
                first.kill(); // SIGKILL mid-run, writers still writing
                Thread.sleep(1000);
                CliProcess second = replicate(db, server);
                Thread.sleep(2000);
                writers.stop();
                int port = metricsPort(second);
                assertThat(awaitCaughtUp(port)).as("the restarted replicator caught up").isTrue();
                second.terminate();
                CliProcess.Result stopped = second.await(Duration.ofSeconds(120));
                assertThat(stopped.code()).as(stopped.toString()).isZero();
            }
            Path restored = dir.resolve("restored.db");
            CliProcess.Result r = CliProcess.start(dir, "restore", "-integrity-check", "full", "-o", restored.toString(), server.url(BUCKET))
                    .await(Duration.ofSeconds(120));
            assertThat(r.code()).as(r.toString()).isZero();
            assertRestoredEquals(restored, TestDb.digest(db));
        }
    }
}
