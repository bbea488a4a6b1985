package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import io.litestream4j.core.replica.AgeCipher;
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

    @Test
    void aConfigWithRecipientsButNoIdentitiesIsRefusedAtStartUp() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path cfg = CliProcess.writeConfig(dir, """
                dbs:
                  - path: %s
                    replica:
                      url: file://%s
                      age:
                        recipients: [%s]
                """.formatted(db, dir.resolve("replica"), RECIPIENT));
        CliProcess.Result r = CliProcess.run(dir, "replicate", "-config", cfg.toString());
        assertThat(r.code()).as(r.toString()).isNotZero();
        assertThat(r.err()).contains("recipients without identities");
        assertThat(dir.resolve("replica")).doesNotExist();
    }
}
