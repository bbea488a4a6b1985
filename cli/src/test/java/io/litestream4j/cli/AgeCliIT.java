package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import io.litestream4j.core.replica.AgeCipher;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.LtxDecoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code bin/litestream} replicating with Litestream 0.3's {@code age} block (the
 * identity from the environment): concurrent writers, compaction every second, restores of the
 * latest state and by time; every stored file is ciphertext that the reference {@code age} tool
 * opens into a valid LTX file; a restore without the key or with another key fails naming a file.
 */
@Timeout(600) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class AgeCliIT {
    private static final String IDENTITY = "AGE-SECRET-KEY-1886DMXC2MGG85K979XAVLDGZH79MAMMRLD547QMRC7CFLCR2472SC5CYD8";
    private static final String RECIPIENT = "age17c684n628nr8yygt499avv507nf8nesk7xs7dnusfvyajd86ruwqlsxtkf";
    private static final String OTHER_IDENTITY = "AGE-SECRET-KEY-164CV8UT3MXTRGHGG6TXM2C83AH36DD86S6TXMERZWLFVWVPES0WQMQQKVC";
    private static final String OTHER_RECIPIENT = "age1r0rwn0dc257ptn5ew0cd3qqp8l0u9zgh86tn9ddgw0f8eylt04ass64za3";

    @TempDir
    Path dir;

    private Path config(Path db, Path replica, String name, String recipient) throws Exception {
        Path cfg = dir.resolve(name);
        Files.writeString(cfg, """
                levels:
                  - interval: 1s
                dbs:
                  - path: %s
                    replica:
                      url: file://%s
                      age:
                        identities:
                          - $AGE_IDENTITY
                        recipients:
                          - %s
                """.formatted(db, replica, recipient));
        return cfg;
    }

    @Test
    void replicateEncryptedWithConcurrentWritersThenRestoreLatestAndAtATime() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 100);
        Path replica = dir.resolve("replica");
        Path cfg = config(db, replica, "litestream.yml", RECIPIENT);
        Map<String, String> env = Map.of("AGE_IDENTITY", IDENTITY);
        CliProcess p = CliProcess.start(env, dir, "replicate", "-config", cfg.toString());
        assertThat(p.awaitLog("replicating to", Duration.ofSeconds(120))).as(p.output().toString()).isTrue();
        String first = TestDb.digest(db);
        Thread.sleep(1500); // the first state's file is uploaded; the next writes come later
        Instant between = Instant.now();
        Thread.sleep(300);
        try (RowWriters w = new RowWriters(db, 3, java.time.Duration.ofMillis(5))) {
            Thread.sleep(4000); // several compactions at 1 s run while the writers write
        }
        Thread.sleep(2500);
        p.terminate();
        CliProcess.Result stopped = p.await(Duration.ofSeconds(120));
        assertThat(stopped.code()).as(stopped.toString()).isZero();
        assertThat(stopped.err()).doesNotContain(IDENTITY).doesNotContain("AGE-SECRET-KEY");

        List<Path> stored;
        try (var walk = Files.walk(replica.resolve("ltx"))) {
            stored = walk.filter(Files::isRegularFile).toList();
        }
        assertThat(stored).as("files in the replica").isNotEmpty();
        assertThat(stored.stream().map(f -> f.getParent().getFileName().toString()).distinct()).as("levels written").contains("0", "1");
        Path key = dir.resolve("key.txt");
        Files.writeString(key, IDENTITY + "\n");
        for (Path f : stored) {
            assertThat(AgeCipher.isAgeFile(Files.readAllBytes(f))).as("%s is age-encrypted", f).isTrue();
            Path plain = dir.resolve("plain.ltx");
            Process age = new ProcessBuilder("age", "-d", "-i", key.toString(), "-o", plain.toString(), f.toString()).redirectErrorStream(true).start();
            String out = new String(age.getInputStream().readAllBytes());
            assertThat(age.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(age.exitValue()).as("age -d %s: %s", f, out).isZero();
            try (LtxDecoder d = new LtxDecoder(Files.newInputStream(plain), f.toString())) {
                d.verify();
            }
        }

        CliProcess.Result latest = CliProcess.run(env, dir, "restore", "-config", cfg.toString(), "-integrity-check", "full", "-o",
                dir.resolve("latest.db").toString(), db.toString());
        assertThat(latest.code()).as(latest.toString()).isZero();
        assertThat(TestDb.integrityCheck(dir.resolve("latest.db"))).isEqualTo("ok");
        assertThat(TestDb.digest(dir.resolve("latest.db"))).isEqualTo(TestDb.digest(db));

        CliProcess.Result atTime = CliProcess.run(env, dir, "restore", "-config", cfg.toString(), "-timestamp", between.toString(), "-o",
                dir.resolve("then.db").toString(), db.toString());
        assertThat(atTime.code()).as(atTime.toString()).isZero();
        assertThat(TestDb.digest(dir.resolve("then.db"))).isEqualTo(first);

        // Without the key: the LTX reader names the file and says it is age-encrypted.
        CliProcess.Result plainRestore = CliProcess.run(dir, "restore", "-o", dir.resolve("nokey.db").toString(), "file://" + replica);
        assertThat(plainRestore.code()).as(plainRestore.toString()).isNotZero();
        assertThat(plainRestore.err()).containsPattern("[0-9a-f]{16}-[0-9a-f]{16}\\.ltx").contains("age-encrypted");
        assertThat(dir.resolve("nokey.db")).doesNotExist();

        // Another key: the error names the file and says no identity opens it.
        Path wrong = config(db, replica, "wrong.yml", OTHER_RECIPIENT);
        CliProcess.Result wrongKey = CliProcess.run(Map.of("AGE_IDENTITY", OTHER_IDENTITY), dir, "restore", "-config", wrong.toString(), "-o",
                dir.resolve("wrong.db").toString(), db.toString());
        assertThat(wrongKey.code()).as(wrongKey.toString()).isNotZero();
        assertThat(wrongKey.err()).containsPattern("[0-9a-f]{16}-[0-9a-f]{16}\\.ltx").contains("wrong key").doesNotContain(OTHER_IDENTITY);
        assertThat(dir.resolve("wrong.db")).doesNotExist();
    }

    /**
     * Litestream 0.3's write-only replica (recipients, no identities: the key that decrypts kept
     * off the server), under writers, killed with SIGKILL and restarted: it is written to, never
     * read; restore, verify with that config fail naming the replica and the missing identities;
     * a config with the identity restores exactly the database; the reference age tool opens the
     * stored files.
     */
    @Test
    void aRecipientsOnlyReplicaIsWrittenAcrossAKillAndRestoredWithTheIdentity() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 100);
        Path replica = dir.resolve("replica");
        Path writeOnly = dir.resolve("write-only.yml");
        Files.writeString(writeOnly, """
                levels:
                  - interval: 1s
                snapshot:
                  interval: 2s
                dbs:
                  - path: %s
                    replica:
                      url: file://%s
                      age:
                        recipients: [%s]
                """.formatted(db, replica, RECIPIENT));
        CliProcess first = CliProcess.start(dir, "replicate", "-config", writeOnly.toString());
        assertThat(first.awaitLog("replicating to", Duration.ofSeconds(300))).as(first.output().toString()).isTrue();
        assertThat(first.output().err()).contains("replica file://" + replica).contains("is write-only").contains("no identities")
                .contains("restore, verify and compaction");
        CliProcess second;
        try (RowWriters w = new RowWriters(db, 3, Duration.ofMillis(20))) {
            Thread.sleep(3000);
            first.kill(); // no final sync: the restart resumes from the local files and the replica's names
            Thread.sleep(500);
            second = CliProcess.start(dir, "replicate", "-config", writeOnly.toString());
            assertThat(second.awaitLog("replicating to", Duration.ofSeconds(300))).as(second.output().toString()).isTrue();
            Thread.sleep(3000); // a snapshot from the local database (every 2 s) while the writers write
        }
        String latest = TestDb.digest(db);
        second.terminate();
        CliProcess.Result stopped = second.await(Duration.ofSeconds(120));
        assertThat(stopped.code()).as(stopped.toString()).isZero();
        assertThat(stopped.err()).doesNotContain("compact level").doesNotContain("level=ERROR").doesNotContain("level=WARN msg=\"upload");

        FileReplicaClient raw = new FileReplicaClient(replica);
        assertThat(raw.listFiles(1, 0)).as("nothing compacted: it would read the replica").isEmpty();
        assertThat(raw.listFiles(LtxFileInfo.SNAPSHOT_LEVEL, 0)).as("snapshots taken from the local database").hasSizeGreaterThan(1);

        CliProcess.Result noKey = CliProcess.run(dir, "restore", "-config", writeOnly.toString(), "-o", dir.resolve("nokey.db").toString(), db.toString());
        assertThat(noKey.code()).as(noKey.toString()).isNotZero();
        assertThat(noKey.err()).contains("file://" + replica).contains("restore").contains("no identities");
        assertThat(dir.resolve("nokey.db")).doesNotExist();
        CliProcess.Result verify = CliProcess.run(dir, "verify", "-config", writeOnly.toString(), db.toString());
        assertThat(verify.code()).as(verify.toString()).isNotZero();
        assertThat(verify.err()).contains("file://" + replica).contains("verify").contains("no identities");
        CliProcess.Result ltx = CliProcess.run(dir, "ltx", "-config", writeOnly.toString(), "-level", "all", db.toString());
        assertThat(ltx.code()).as("listing needs no key: " + ltx).isZero();
        assertThat(ltx.out()).contains("%016x".formatted(raw.listFiles(0, 0).getLast().maxTxid()));

        Path withKey = config(db, replica, "with-key.yml", RECIPIENT);
        Map<String, String> env = Map.of("AGE_IDENTITY", IDENTITY);
        CliProcess.Result restored = CliProcess.run(env, dir, "restore", "-config", withKey.toString(), "-integrity-check", "full", "-o",
                dir.resolve("restored.db").toString(), db.toString());
        assertThat(restored.code()).as(restored.toString()).isZero();
        assertThat(TestDb.digest(dir.resolve("restored.db"))).as("every commit before and after the SIGKILL").isEqualTo(latest);

        Path key = dir.resolve("key.txt");
        Files.writeString(key, IDENTITY + "\n");
        List<LtxFileInfo> someFiles = List.of(raw.listFiles(0, 0).getLast(), raw.listFiles(LtxFileInfo.SNAPSHOT_LEVEL, 0).getLast());
        for (LtxFileInfo f : someFiles) {
            Path stored = replica.resolve("ltx").resolve(Integer.toString(f.level())).resolve(f.fileName());
            Path plain = dir.resolve("plain-" + f.fileName());
            Process age = new ProcessBuilder("age", "-d", "-i", key.toString(), "-o", plain.toString(), stored.toString()).redirectErrorStream(true).start();
            String out = new String(age.getInputStream().readAllBytes());
            assertThat(age.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(age.exitValue()).as("age -d %s: %s", stored, out).isZero();
            try (LtxDecoder d = new LtxDecoder(Files.newInputStream(plain), stored.toString())) {
                d.verify();
            }
        }
    }
}
