package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import io.litestream4j.core.replica.AgeCipher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicas written during the test by the real Litestream v0.3.13 (installed by {@code .ci/run}
 * from the npm package @flydotio/litestream-linux-x64; under CI a missing binary fails): restored
 * by our {@code bin/litestream}, plain and age-encrypted, and a database migrated from 0.3 to us
 * on the same replica path, restorable before and after the switch with the 0.3 files untouched.
 */
@Timeout(600) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class Litestream03InteropCliIT {
    private static final String IDENTITY = "AGE-SECRET-KEY-1886DMXC2MGG85K979XAVLDGZH79MAMMRLD547QMRC7CFLCR2472SC5CYD8";
    private static final String RECIPIENT = "age17c684n628nr8yygt499avv507nf8nesk7xs7dnusfvyajd86ruwqlsxtkf";

    @TempDir
    Path dir;

    private Path config(String name, Path db, Path replica, boolean age) throws Exception {
        Path cfg = dir.resolve(name);
        Files.writeString(cfg, """
                dbs:
                  - path: %s
                    replicas:
                      - url: file://%s
                """.formatted(db, replica) + (age ? """
                        age:
                          identities: [%s]
                          recipients: [%s]
                """.formatted(IDENTITY, RECIPIENT) : ""));
        return cfg;
    }

    /** Runs Litestream 0.3 with {@code cfg} while writers write, then stops it with SIGTERM (it syncs on the way out). */
    private static void replicateWith03(Path cfg, Path db) throws Exception {
        Path log = cfg.resolveSibling(cfg.getFileName() + ".log");
        Process p = new ProcessBuilder(Litestream03Runs.binary().toString(), "replicate", "-config", cfg.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            Thread.sleep(2000); // its first snapshot
            try (RowWriters w = new RowWriters(db, 3, java.time.Duration.ofMillis(5))) {
                Thread.sleep(3000);
            }
            Litestream03Runs.awaitShipped(log); // what was written is shipped, and no upload is in flight at the stop
        } finally {
            p.destroy();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        assertThat(Files.readString(log)).as("litestream 0.3 log").doesNotContain("ERROR").doesNotContain("level=ERROR");
    }

    @Test
    void aPlainReplicaWrittenBy03IsRestoredThenMigratedToUsWithNoGap() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 100);
        Path replica = dir.resolve("replica");
        replicateWith03(config("v03.yml", db, replica, false), db);
        String state03 = TestDb.digest(db);
        Instant after03 = Instant.now();
        Map<String, String> files03 = tree(replica);
        assertThat(files03.keySet()).anyMatch(p -> p.matches("generations/[0-9a-f]{16}/snapshots/[0-9a-f]{8}\\.snapshot\\.lz4"))
                .anyMatch(p -> p.matches("generations/[0-9a-f]{16}/wal/[0-9a-f]{8}_[0-9a-f]{8}\\.wal\\.lz4"));

        Path restored = dir.resolve("restored.db");
        CliProcess.Result r = CliProcess.run(dir, Duration.ofSeconds(120), "restore", "-integrity-check", "full", "-o", restored.toString(), replica.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("from the Litestream 0.3 backup");
        assertThat(TestDb.digest(restored)).isEqualTo(state03);

        // The switch: we replicate the same database to the same replica path.
        Thread.sleep(1100); // our first file's time is clearly after after03 (whole-millisecond times)
        Path ours = config("ours.yml", db, replica, false);
        CliProcess p = CliProcess.start(dir, "replicate", "-config", ours.toString());
        assertThat(p.awaitLog("replicating to", Duration.ofSeconds(120))).as(p.output().toString()).isTrue();
        try (RowWriters w = new RowWriters(db, 3, java.time.Duration.ofMillis(5))) {
            Thread.sleep(3000);
        }
        Thread.sleep(1500);
        p.terminate();
        CliProcess.Result stopped = p.await(Duration.ofSeconds(120));
        assertThat(stopped.code()).as(stopped.toString()).isZero();
        String final_ = TestDb.digest(db);
        assertThat(final_).isNotEqualTo(state03);

        CliProcess.Result latest = CliProcess.run(dir, Duration.ofSeconds(120), "restore", "-integrity-check", "full", "-o",
                dir.resolve("latest.db").toString(), replica.toString());
        assertThat(latest.code()).as(latest.toString()).isZero();
        assertThat(latest.out()).doesNotContain("Litestream 0.3");
        assertThat(TestDb.digest(dir.resolve("latest.db"))).isEqualTo(final_);
        // Before our first file: the 0.3 backup answers, so no moment since 0.3's start is lost.
        CliProcess.Result before = CliProcess.run(dir, Duration.ofSeconds(120), "restore", "-timestamp", after03.toString(), "-o",
                dir.resolve("before.db").toString(), replica.toString());
        assertThat(before.code()).as(before.toString()).isZero();
        assertThat(before.out()).contains("from the Litestream 0.3 backup");
        assertThat(TestDb.digest(dir.resolve("before.db"))).isEqualTo(state03);
        CliProcess.Result v3 = CliProcess.run(dir, Duration.ofSeconds(120), "restore", "-v3", "-o", dir.resolve("v3.db").toString(), replica.toString());
        assertThat(v3.code()).as(v3.toString()).isZero();
        assertThat(TestDb.digest(dir.resolve("v3.db"))).isEqualTo(state03);
        Map<String, String> after = tree(replica);
        after.keySet().removeIf(k -> !k.startsWith("generations/"));
        assertThat(after).as("the 0.3 files, left alone").isEqualTo(files03);
    }

    @Test
    void anAgeEncryptedReplicaWrittenBy03IsRestoredWithTheSameAgeBlock() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 100);
        Path replica = dir.resolve("replica");
        Path cfg = config("v03.yml", db, replica, true);
        replicateWith03(cfg, db);
        String state03 = TestDb.digest(db);
        Map<String, String> files = tree(replica);
        assertThat(files).isNotEmpty();
        for (String f : files.keySet()) {
            assertThat(AgeCipher.isAgeFile(Files.readAllBytes(replica.resolve(f)))).as("%s is age-encrypted by 0.3", f).isTrue();
        }
        Path restored = dir.resolve("restored.db");
        CliProcess.Result r = CliProcess.run(dir, Duration.ofSeconds(120), "restore", "-config", cfg.toString(), "-integrity-check", "full",
                "-o", restored.toString(), db.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(TestDb.digest(restored)).isEqualTo(state03);

        CliProcess.Result noKey = CliProcess.run(dir, Duration.ofSeconds(120), "restore", "-o", dir.resolve("nokey.db").toString(), replica.toString());
        assertThat(noKey.code()).isNotZero();
        assertThat(noKey.err()).contains("snapshot.lz4");
        assertThat(dir.resolve("nokey.db")).doesNotExist();
    }

    /** 0.3.13 on S3 (S3Proxy on loopback, through a config file: 0.3 takes the endpoint only there), age-encrypted. */
    @Test
    void anAgeEncryptedS3ReplicaWrittenBy03IsRestored() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 100);
        try (io.litestream4j.replica.s3.S3TestServer s3 = io.litestream4j.replica.s3.S3TestServer.start()) {
            s3.createBucket("backups");
            Path cfg = dir.resolve("s3.yml");
            Files.writeString(cfg, """
                    dbs:
                      - path: %s
                        replicas:
                          - type: s3
                            bucket: backups
                            path: app
                            endpoint: %s
                            region: us-east-1
                            force-path-style: true
                            access-key-id: %s
                            secret-access-key: %s
                            age:
                              identities: [%s]
                              recipients: [%s]
                    """.formatted(db, s3.endpoint(), s3.accessKey(), s3.secretKey(), IDENTITY, RECIPIENT));
            replicateWith03(cfg, db);
            String state03 = TestDb.digest(db);
            Path restored = dir.resolve("restored.db");
            CliProcess.Result r = CliProcess.run(dir, Duration.ofSeconds(120), "restore", "-config", cfg.toString(), "-integrity-check", "full",
                    "-o", restored.toString(), db.toString());
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.out()).contains("from the Litestream 0.3 backup");
            assertThat(TestDb.digest(restored)).isEqualTo(state03);
            assertThat(r.out() + r.err()).doesNotContain(s3.secretKey()).doesNotContain(IDENTITY);
        }
    }

    /** Every file under {@code root}: relative path to SHA-256. */
    private static Map<String, String> tree(Path root) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (var walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(p).toString(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        }
        return out;
    }
}
