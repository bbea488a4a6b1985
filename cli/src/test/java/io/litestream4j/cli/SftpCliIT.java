package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;
import io.litestream4j.ltx.LtxDecoder;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.replica.sftp.OpenSshServer;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code bin/litestream} replicating over SFTP to OpenSSH's sshd on loopback (started by
 * the test; {@code .ci/run} installs it): concurrent writers, restores of the latest state and by
 * time (to the millisecond, though the server keeps whole-second file times), the server going
 * away for 20 s under load, and the start-up errors for an unverified host key and an unreachable
 * server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(600) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class SftpCliIT {
    private OpenSshServer server;

    @TempDir
    Path dir;

    @BeforeAll
    void startServer() throws Exception {
        server = OpenSshServer.start(Files.createTempDirectory("sftp-cli"));
    }

    @AfterAll
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    /** A config file replicating {@code db} to the folder {@code sub} on the server, in Litestream's keys. */
    private Path config(Path db, String sub) throws Exception {
        return config(db, sub, "");
    }

    /** {@link #config(Path, String)} with top-level settings {@code top} (YAML lines) before {@code dbs}. */
    private Path config(Path db, String sub, String top) throws Exception {
        return CliProcess.writeConfig(dir, top + """
                dbs:
                  - path: %s
                    replica:
                      type: sftp
                      host: 127.0.0.1:%d
                      user: %s
                      path: %s/%s
                      key-path: %s
                      host-key: "%s"
                """.formatted(db, server.port(), server.user(), server.root(), sub, server.clientKey(), server.hostKey()));
    }

    private String url(String sub, String options) {
        return server.url(sub) + "?key-path=" + server.clientKey() + "&host-key=" + URLEncoder.encode(server.hostKey(), StandardCharsets.UTF_8)
                + options;
    }

    /** Every LTX file stored under {@code sub} on the server, each verified; no temporary file is left. */
    private List<Path> verifyStoredFiles(String sub) throws Exception {
        return verifyStoredFiles(sub, false);
    }

    /**
     * {@link #verifyStoredFiles(String)}, but with {@code afterKill} a replicator killed during an
     * upload may have left its temporary file ({@code <file>.<pid>.<nanos>.tmp}, as Litestream
     * does): ignored, as listings ignore it.
     */
    private List<Path> verifyStoredFiles(String sub, boolean afterKill) throws Exception {
        List<Path> files;
        try (var walk = Files.walk(server.rootDir().resolve(sub))) {
            files = walk.filter(Files::isRegularFile)
                    .filter(p -> !(afterKill && p.getFileName().toString().matches("[0-9a-f]{16}-[0-9a-f]{16}\\.ltx\\.\\d+\\.\\d+\\.tmp")))
                    .toList();
        }
        assertThat(files).as("files on the server").isNotEmpty().allMatch(p -> p.getFileName().toString().matches("[0-9a-f]{16}-[0-9a-f]{16}\\.ltx"));
        for (Path f : files) {
            try (LtxDecoder d = new LtxDecoder(Files.newInputStream(f), f.toString())) {
                d.verify();
            }
        }
        return files;
    }

    @Test
    void replicateWithConcurrentWritersThenRestoreLatestAndAtATime() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 100);
        Path cfg = config(db, "app");
        CliProcess p = CliProcess.start(dir, "replicate", "-config", cfg.toString());
        assertThat(p.awaitLog("replicating to", Duration.ofSeconds(120))).as(p.output().toString()).isTrue();
        String first = TestDb.digest(db);
        Thread.sleep(300); // the first state's file is written; the next writes come later
        Instant between = Instant.now();
        Thread.sleep(300);
        try (RowWriters w = new RowWriters(db, 3, Duration.ofMillis(5))) {
            Thread.sleep(3000);
        }
        p.terminate();
        CliProcess.Result stopped = p.await(Duration.ofSeconds(120));
        assertThat(stopped.code()).as(stopped.toString()).isZero();
        verifyStoredFiles("app");

        CliProcess.Result latest = CliProcess.run(dir, Duration.ofSeconds(120), "restore", "-config", cfg.toString(), "-integrity-check", "full", "-o",
                dir.resolve("latest.db").toString(), db.toString());
        assertThat(latest.code()).as(latest.toString()).isZero();
        assertThat(latest.out()).contains("database checksum verified");
        assertThat(TestDb.integrityCheck(dir.resolve("latest.db"))).isEqualTo("ok");
        assertThat(TestDb.digest(dir.resolve("latest.db"))).isEqualTo(TestDb.digest(db));

        CliProcess.Result atTime = CliProcess.run(dir, Duration.ofSeconds(120), "restore", "-timestamp", between.toString(), "-o",
                dir.resolve("then.db").toString(), url("app", ""));
        assertThat(atTime.code()).as(atTime.toString()).isZero();
        assertThat(TestDb.digest(dir.resolve("then.db"))).isEqualTo(first);
    }

    /**
     * Restoring to one millisecond before each file's header time gives the state before that
     * file: with the server's whole-second modification times alone, the file would count as
     * written up to a second earlier and be applied too soon.
     */
    @Test
    void pointInTimeRestoresAreExactToTheMillisecond() throws Exception {
        Path db = TestDb.create(dir, "pit.db", 4096, 20);
        String replica = url("pit", "");
        List<String> digests = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            if (round > 0) {
                try (Connection c = TestDb.open(db)) {
                    TestDb.insert(c, 10 * round, 200);
                }
            }
            CliProcess.Result r = CliProcess.run(dir, Duration.ofSeconds(120), "replicate", "-once", db.toString(), replica);
            assertThat(r.code()).as(r.toString()).isZero();
            digests.add(TestDb.digest(db));
        }
        Path level0 = server.rootDir().resolve("pit/ltx/0");
        for (int txid = 2; txid <= 3; txid++) {
            Path file = level0.resolve("%016x-%016x.ltx".formatted(txid, txid));
            long headerMillis;
            try (InputStream in = Files.newInputStream(file)) {
                headerMillis = LtxHeader.parse(file.toString(), in.readNBytes(LtxHeader.SIZE), 0).timestamp();
            }
            Instant justBefore = Instant.ofEpochMilli(headerMillis - 1);
            Path out = dir.resolve("before-" + txid + ".db");
            CliProcess.Result r = CliProcess.run(dir, Duration.ofSeconds(120), "restore", "-timestamp", justBefore.toString(), "-o", out.toString(),
                    replica);
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(TestDb.digest(out)).as("the state 1 ms before TXID %d's file", txid).isEqualTo(digests.get(txid - 2));
        }
    }

    /** {@link KillRestartRetention}'s SIGKILL, restart, compaction, retention and {@code -txid} run over SFTP. */
    @Test
    void killedAndRestartedWithCompactionAndRetentionOverSftp() throws Exception {
        Path db = TestDb.create(dir, "busy.db", 4096, 50);
        Path cfg = config(db, "busy", KillRestartRetention.LEVELS);
        try (ReplicaClient replica = ReplicaClients.open(url("busy", ""))) {
            KillRestartRetention.run(Map.of(), dir, db, cfg, replica);
        }
        verifyStoredFiles("busy", true);
    }

    @Test
    void theServerGoneForTwentySecondsUnderLoadLosesNothing() throws Exception {
        Path db = TestDb.create(dir, "outage.db", 4096, 50);
        Path cfg = config(db, "outage", "addr: 127.0.0.1:0\n");
        CliProcess p = CliProcess.start(dir, "replicate", "-config", cfg.toString());
        assertThat(p.awaitLog("replicating to", Duration.ofSeconds(120))).as(p.output().toString()).isTrue();
        DaemonProbe daemon = DaemonProbe.of(p);
        String whenBack;
        try (RowWriters w = new RowWriters(db, 2, Duration.ofMillis(5))) {
            Thread.sleep(1500);
            server.stop();
            try {
                Thread.sleep(20_000);
                assertThat(p.isAlive()).as("the replicator keeps running while the server is down").isTrue();
                assertThat(p.output().err()).contains("cannot connect to [127.0.0.1]:" + server.port());
            } finally {
                server.start();
            }
            daemon.assertRecovers("sftp outage", System.nanoTime());
            Thread.sleep(1500);
        }
        whenBack = TestDb.digest(db);
        // The replica catches up without a restart: restores converge on the final state.
        long writersStopped = System.nanoTime();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String restored = null;
        int attempt = 0;
        while (System.nanoTime() < deadline) {
            Path out = dir.resolve("caught-up-" + attempt++ + ".db");
            CliProcess.Result r = CliProcess.run(dir, Duration.ofSeconds(120), "restore", "-o", out.toString(), url("outage", ""));
            if (r.code() == 0 && (restored = TestDb.digest(out)).equals(whenBack)) {
                break;
            }
            Thread.sleep(500);
        }
        assertThat(restored).as("restored after the outage").isEqualTo(whenBack);
        System.out.printf("SftpCliIT: a restore equal to the database %d ms after the writers stopped (%d restore attempts)%n",
                (System.nanoTime() - writersStopped) / 1_000_000, attempt);
        p.terminate();
        CliProcess.Result stopped = p.await(Duration.ofSeconds(120));
        assertThat(stopped.code()).as(stopped.toString()).isZero();
        verifyStoredFiles("outage");
    }

    @Test
    void anUnverifiedHostKeyAndAnUnreachableServerFailAtStart() throws Exception {
        Path db = TestDb.create(dir, "bad.db", 4096, 5);
        Path emptyKnownHosts = Files.createFile(dir.resolve("known_hosts"));
        String noHostKey = server.url("bad") + "?key-path=" + server.clientKey() + "&known-hosts-path=" + emptyKnownHosts;
        CliProcess.Result unverified = CliProcess.run(dir, Duration.ofSeconds(120), "replicate", "-once", db.toString(), noHostKey);
        assertThat(unverified.code()).as(unverified.toString()).isEqualTo(1);
        assertThat(unverified.err()).contains("host key of [127.0.0.1]:" + server.port() + " not verified").contains("ssh-ed25519 SHA256:")
                .contains("insecure-skip-host-key-check");
        assertThat(server.rootDir().resolve("bad")).as("nothing written to an unverified server").doesNotExist();

        CliProcess.Result skipped = CliProcess.run(dir, Duration.ofSeconds(120), "replicate", "-once", db.toString(),
                noHostKey + "&insecure-skip-host-key-check=true");
        assertThat(skipped.code()).as(skipped.toString()).isZero();
        assertThat(skipped.err()).contains("host key NOT verified");

        CliProcess.Result unreachable = CliProcess.run(dir, Duration.ofSeconds(120), "replicate", "-once", db.toString(),
                "sftp://%s@127.0.0.1:1/x?key-path=%s&host-key=%s".formatted(server.user(), server.clientKey(),
                        URLEncoder.encode(server.hostKey(), StandardCharsets.UTF_8)));
        assertThat(unreachable.code()).as(unreachable.toString()).isEqualTo(1);
        assertThat(unreachable.err()).contains("sftp://%s@127.0.0.1:1/x".formatted(server.user())).contains("cannot connect to [127.0.0.1]:1");
    }
}
