package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;
import io.litestream4j.ltx.LtxDecoder;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.replica.webdav.DavServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code bin/litestream} replicating to Apache httpd's mod_dav with concurrent writers,
 * through a SIGKILL and restart and through the server being stopped for 20 s under load, then
 * restoring the latest state, a TXID and a time; and the start-up errors (wrong password,
 * unreachable server), which name the replica and never the password.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(600) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class WebDavCliIT {
    private DavServer server;

    @TempDir
    Path dir;

    @BeforeAll
    void startServer() throws Exception {
        server = DavServer.apache();
    }

    @AfterAll
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private Path config(Path db, String path) throws Exception {
        return CliProcess.writeConfig(dir, """
                levels:
                  - interval: 3s
                dbs:
                  - path: %s
                    monitor-interval: 100ms
                    replica:
                      type: webdav
                      webdav-url: %s
                      webdav-username: %s
                      webdav-password: $WEBDAV_PASSWORD
                      path: %s
                      sync-interval: 200ms
                """.formatted(db, server.httpUrl(), DavServer.USER, path));
    }

    private static final Map<String, String> ENV = Map.of("WEBDAV_PASSWORD", DavServer.PASSWORD);

    /** The highest L0 TXID on the server, once it has not changed for a second (the replicator is idle and caught up). */
    private long settledTxid(ReplicaClient replica, Duration patience) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        long last = -1;
        int stable = 0;
        while (System.nanoTime() < deadline) {
            List<LtxFileInfo> l0 = replica.listFiles(0, 0);
            long max = l0.isEmpty() ? 0 : l0.getLast().maxTxid();
            stable = max == last && max > 0 ? stable + 1 : 0;
            if (stable >= 5) {
                return max;
            }
            last = max;
            Thread.sleep(200);
        }
        throw new AssertionError("the replica's TXID did not settle within " + patience + "; last " + last);
    }

    private static long maxTxidOnDisk(Path level) throws Exception {
        try (Stream<Path> files = Files.list(level)) {
            return files.map(f -> io.litestream4j.ltx.TxidRange.fromFileName(f.getFileName().toString()))
                    .flatMap(java.util.Optional::stream).mapToLong(io.litestream4j.ltx.TxidRange::max).max().orElse(0);
        }
    }

    @Test
    void concurrentWritersKillRestartServerOutageThenRestoreLatestTxidAndTime() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 50);
        Path cfg = config(db, "app");
        String url = server.url("app");
        try (ReplicaClient replica = ReplicaClients.open(url); RowWriters first = new RowWriters(db, 3, Duration.ofMillis(5))) {
            CliProcess p = CliProcess.start(ENV, dir, "replicate", "-config", cfg.toString());
            assertThat(p.awaitLog("replicating to", Duration.ofSeconds(120))).as(p.output().toString()).isTrue();
            Thread.sleep(2000);
            p.kill(); // SIGKILL mid-write: no final sync
            p = CliProcess.start(ENV, dir, "replicate", "-config", cfg.toString());
            assertThat(p.awaitLog("replicating to", Duration.ofSeconds(120))).as(p.output().toString()).isTrue();
            Thread.sleep(1500);
            assertThat(first.stop()).isPositive();

            // a state the TXID and time restores must find
            long txid = settledTxid(replica, Duration.ofSeconds(60));
            String atTxid = TestDb.digest(db);
            Thread.sleep(1100); // header times are milliseconds, but keep the moment clear of both neighbours
            Instant between = Instant.now();
            Thread.sleep(1100);

            // the server stops under load and comes back: nothing is lost, the replica catches up
            try (RowWriters second = new RowWriters(db, 3, Duration.ofMillis(5))) {
                Thread.sleep(1000);
                server.stop();
                long beforeOutage = maxTxidOnDisk(server.files().resolve("app/ltx/0")); // read while the server is down
                Thread.sleep(20_000);
                server.start();
                long restarted = System.nanoTime();
                long deadline = restarted + Duration.ofSeconds(60).toNanos();
                while (replica.listFiles(0, beforeOutage + 1).isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                Duration recovered = Duration.ofNanos(System.nanoTime() - restarted);
                assertThat(replica.listFiles(0, beforeOutage + 1)).as("uploads resumed after the server returned").isNotEmpty();
                System.err.printf("webdav: first upload %d ms after the server returned%n", recovered.toMillis());
                // retries back off to at most 5 s, so 10 s is the bar; 15 s leaves room for a busy machine
                assertThat(recovered).as("catching up after the outage").isLessThan(Duration.ofSeconds(15));
                Thread.sleep(1000);
                assertThat(second.stop()).isPositive();
            }
            p.terminate();
            CliProcess.Result stopped = p.await(Duration.ofSeconds(120));
            assertThat(stopped.code()).as(stopped.toString()).isZero();
            assertThat(stopped.out() + stopped.err()).doesNotContain(DavServer.PASSWORD);

            // what the server holds is whole LTX files, compacted into level 1 too, and no temporary upload
            assertOnlyLtxFiles(server.files().resolve("app/ltx"));
            assertThat(replica.listFiles(1, 0)).as("level 1 compactions on the server").isNotEmpty();

            String latest = TestDb.digest(db);
            Path out = dir.resolve("latest.db");
            CliProcess.Result r = CliProcess.run(ENV, dir, "restore", "-config", cfg.toString(), "-integrity-check", "full", "-o", out.toString(),
                    db.toString());
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.out()).contains("database checksum verified");
            assertThat(TestDb.digest(out)).isEqualTo(latest);
            assertThat(TestDb.integrityCheck(out)).isEqualTo("ok");

            Path byTxid = dir.resolve("txid.db");
            r = CliProcess.run(dir, "restore", "-txid", "%016x".formatted(txid), "-o", byTxid.toString(), url);
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(TestDb.digest(byTxid)).isEqualTo(atTxid);

            Path byTime = dir.resolve("time.db");
            r = CliProcess.run(dir, "restore", "-timestamp", between.toString(), "-o", byTime.toString(), url);
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(TestDb.digest(byTime)).isEqualTo(atTxid);
            assertThat(r.out() + r.err()).doesNotContain(DavServer.PASSWORD);
        }
    }

    /**
     * Every file under {@code ltx} on the server is a whole LTX file under its final name: no
     * temporary upload is left behind, not by a SIGKILL between an upload and its MOVE, nor by an
     * upload the server's outage cut off.
     */
    private static void assertOnlyLtxFiles(Path ltx) throws Exception {
        try (Stream<Path> files = Files.walk(ltx)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertThat(f.getFileName().toString()).as("no temporary upload left behind").matches("[0-9a-f]{16}-[0-9a-f]{16}\\.ltx");
                try (LtxDecoder d = new LtxDecoder(Files.newInputStream(f), f.toString())) {
                    d.verify();
                }
            }
        }
    }

    @Test
    void killedRestartedCompactedRetainedAndRestoredByTxid() throws Exception {
        Path db = TestDb.create(dir, "kill.db", 4096, 50);
        Path cfg = CliProcess.writeConfig(dir, KillRestartRetention.LEVELS + """
                dbs:
                  - path: %s
                    replica:
                      type: webdav
                      webdav-url: %s
                      webdav-username: %s
                      webdav-password: $WEBDAV_PASSWORD
                      path: kill
                """.formatted(db, server.httpUrl(), DavServer.USER));
        try (ReplicaClient replica = ReplicaClients.open(server.url("kill"))) {
            CliProcess.Result stopped = KillRestartRetention.run(ENV, dir, db, cfg, replica);
            assertThat(stopped.out() + stopped.err()).doesNotContain(DavServer.PASSWORD);
        }
        assertOnlyLtxFiles(server.files().resolve("kill/ltx"));
    }

    @Test
    void wrongPasswordAndUnreachableServerFailAtStartNamingTheReplica() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 5);
        String wrong = "webdav://%s:not-the-password@127.0.0.1:%d/dav/x".formatted(DavServer.USER, server.port());
        CliProcess.Result denied = CliProcess.run(dir, "replicate", "-once", db.toString(), wrong);
        assertThat(denied.code()).as(denied.toString()).isEqualTo(1);
        assertThat(denied.err()).contains("webdav://127.0.0.1:%d/dav/x".formatted(server.port())).contains("HTTP 401");
        assertThat(denied.out() + denied.err()).doesNotContain("not-the-password");

        CliProcess.Result unreachable = CliProcess.run(dir, "replicate", "-once", db.toString(), "webdav://u:p4ssw0rd@127.0.0.1:1/x");
        assertThat(unreachable.code()).as(unreachable.toString()).isEqualTo(1);
        assertThat(unreachable.err()).contains("webdav://127.0.0.1:1/x");
        assertThat(unreachable.out() + unreachable.err()).doesNotContain("p4ssw0rd");
    }
}
