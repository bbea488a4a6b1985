package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;
import io.litestream4j.replica.nats.NatsServer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code bin/litestream} replicating to a real nats-server (JetStream object store,
 * user and password required) while several writers change the database: restore of the
 * latest state, of a TXID and of a point in time, the start-up errors, {@link KillRestartRetention}'s
 * kill -9, restart, compaction and retention over NATS, and the server going away under load for
 * 20 s and coming back.
 */
@Timeout(600) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class NatsCliIT {
    private static final String BUCKET = "backups";

    @TempDir
    Path dir;

    /** A config replicating {@code db} to the server's bucket, credentials as config keys, metrics on a free port. */
    private Path config(Path db, NatsServer server) throws Exception {
        return config(db, server, "addr: 127.0.0.1:0\n");
    }

    /** {@link #config(Path, NatsServer)} with top-level settings {@code top} (YAML lines) instead of the metrics address. */
    private Path config(Path db, NatsServer server, String top) throws Exception {
        return CliProcess.writeConfig(dir, top + """
                dbs:
                  - path: %s
                    replica:
                      url: nats://%s/%s
                      username: %s
                      password: %s
                      reconnect-wait: 500ms
                """.formatted(db, server.address(), BUCKET, NatsServer.USER, NatsServer.PASSWORD));
    }

    /** Starts {@code replicate -config} for {@code db} and waits until it replicates. */
    private CliProcess replicate(Path db, NatsServer server) throws Exception {
        CliProcess p = CliProcess.start(dir, "replicate", "-config", config(db, server).toString());
        assertThat(p.awaitLog("replicating to", Duration.ofSeconds(120))).as(p.output().toString()).isTrue();
        return p;
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
            DaemonProbe daemon = DaemonProbe.of(p);

            try (RowWriters writers = new RowWriters(db, 3, Duration.ofMillis(10))) {
                Thread.sleep(3000);
                assertThat(writers.stop()).isPositive();
            }
            assertThat(daemon.awaitCaughtUp(Duration.ofSeconds(60))).as("the replica caught up with the first writers").isTrue();
            String first = TestDb.digest(db);
            long firstTxid = (long) daemon.txid();
            long firstRows;
            try (Connection c = TestDb.open(db)) {
                firstRows = TestDb.queryLong(c, "SELECT count(*) FROM t");
            }
            Thread.sleep(1500); // the first state's files carry earlier times than `between`
            Instant between = Instant.now();
            Thread.sleep(1500);
            try (RowWriters writers = new RowWriters(db, 3, Duration.ofMillis(10))) {
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
            DaemonProbe daemon = DaemonProbe.of(p);
            Duration recovery;
            try (RowWriters writers = new RowWriters(db, 2, Duration.ofMillis(10))) {
                Thread.sleep(2000);
                server.stopProcess();
                Thread.sleep(20_000); // the outage the issue names
                HttpResponse<String> health = daemon.get("/healthz");
                assertThat(health.statusCode()).as(health.body()).isEqualTo(503);
                assertThat(health.body()).contains("nats://" + server.address() + "/" + BUCKET);
                server.startProcess();
                long back = System.nanoTime();
                // Under load the TXID moves on; caught up means the replica reached the TXID the
                // database had when the server came back, and then the current one.
                recovery = daemon.awaitReplicaTxid(daemon.txid(), back, Duration.ofSeconds(60));
                assertThat(recovery).as("the replica caught up after the outage").isNotNull();
                writers.stop();
            }
            System.out.println("nats outage of 20 s: the replica reached the TXID at the server's return in " + recovery.toMillis() + " ms");
            assertThat(recovery).as("lag recovers within 10 s of the server's return").isLessThanOrEqualTo(Duration.ofSeconds(10));
            assertThat(daemon.awaitCaughtUp(Duration.ofSeconds(60))).as("caught up with the writers").isTrue();
            // Uploads recover at once; a compaction or retention run that failed during the outage
            // is retried within 5 s; 30 s leaves room for a busy machine.
            assertThat(daemon.awaitHealth(200, Duration.ofSeconds(30))).as("healthy again after the outage").isTrue();
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
    void killedRestartedCompactedRetainedAndRestoredByTxid() throws Exception {
        try (NatsServer server = NatsServer.start(NatsServer.Auth.PASSWORD)) {
            server.createBucket(BUCKET);
            Path db = TestDb.create(dir, "app.db", 4096, 100);
            Path cfg = config(db, server, KillRestartRetention.LEVELS);
            try (ReplicaClient replica = ReplicaClients.open(server.url(BUCKET))) {
                assertNoSecret(KillRestartRetention.run(java.util.Map.of(), dir, db, cfg, replica));
            }
        }
    }
}
