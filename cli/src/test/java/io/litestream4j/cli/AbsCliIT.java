package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.ListBlobsOptions;
import io.litestream4j.core.TestDb;
import io.litestream4j.ltx.LtxDecoder;
import io.litestream4j.replica.abs.AbsReplicaClient;
import io.litestream4j.replica.abs.Azurite;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code bin/litestream} replicating to Azurite while several writers change the
 * database, then restoring the latest state and the state at a moment between two bursts of
 * writes: once configured with the shared key (config keys and {@code LITESTREAM_AZURE_ACCOUNT_KEY}),
 * once with a SAS token (an {@code abs://} URL and {@code LITESTREAM_AZURE_SAS_TOKEN}); and
 * {@link KillRestartRetention}'s SIGKILL, restart, compaction, retention and {@code -txid} run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(600) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class AbsCliIT {
    private Azurite azurite;

    @TempDir
    Path dir;

    @BeforeAll
    void startAzurite() throws Exception {
        azurite = Azurite.start();
    }

    @AfterAll
    void stopAzurite() {
        if (azurite != null) {
            azurite.close();
        }
    }

    @Test
    void sharedKeyFromConfigAndEnvironment() throws Exception {
        azurite.container("cli-key");
        Path config = CliProcess.writeConfig(dir, """
                dbs:
                  - path: %s
                    replica:
                      type: abs
                      account-name: %s
                      bucket: cli-key
                      path: apps/app.db
                      endpoint: %s
                """.formatted(dir.resolve("app.db"), Azurite.ACCOUNT, azurite.endpoint()));
        Map<String, String> env = Map.of("LITESTREAM_AZURE_ACCOUNT_KEY", Azurite.KEY);
        replicateWriteAndRestore(env, "cli-key", "apps/app.db/", List.of("-config", config.toString()),
                List.of("-config", config.toString(), dir.resolve("app.db").toString()));
    }

    @Test
    void sasTokenFromUrlAndEnvironment() throws Exception {
        String sas = azurite.sasToken("cli-sas");
        String url = "abs://cli-sas/app.db?endpoint=" + azurite.endpoint();
        Map<String, String> env = Map.of("LITESTREAM_AZURE_SAS_TOKEN", sas);
        CliProcess.Result out = replicateWriteAndRestore(env, "cli-sas", "app.db/", List.of(dir.resolve("app.db").toString(), url), List.of(url));
        String signature = sas.replaceAll(".*sig=([^&]+).*", "$1");
        assertThat(out.out() + out.err()).doesNotContain(signature);
    }

    @Test
    void killedRestartedCompactedRetainedAndRestoredByTxid() throws Exception {
        azurite.container("cli-kill");
        Path db = TestDb.create(dir, "kill.db", 4096, 50);
        Path config = CliProcess.writeConfig(dir, KillRestartRetention.LEVELS + """
                dbs:
                  - path: %s
                    replica:
                      type: abs
                      account-name: %s
                      bucket: cli-kill
                      path: apps/kill.db
                      endpoint: %s
                """.formatted(db, Azurite.ACCOUNT, azurite.endpoint()));
        try (AbsReplicaClient replica = new AbsReplicaClient(azurite.sharedKey("cli-kill", "apps/kill.db"))) {
            CliProcess.Result stopped = KillRestartRetention.run(Map.of("LITESTREAM_AZURE_ACCOUNT_KEY", Azurite.KEY), dir, db, config, replica);
            assertThat(stopped.out() + stopped.err()).doesNotContain(Azurite.KEY);
        }
    }

    /**
     * Replicates with {@code replicateArgs} while four writers insert, waits until the replica is
     * quiet and notes the time, writes a second burst, stops; then restores with {@code restoreTarget}
     * both the latest state and the state at the noted time, and checks each against the database.
     */
    private CliProcess.Result replicateWriteAndRestore(Map<String, String> env, String container, String prefix, List<String> replicateArgs,
            List<String> restoreTarget) throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 50);
        List<String> args = new ArrayList<>(List.of("replicate"));
        args.addAll(replicateArgs);
        CliProcess p = CliProcess.start(env, dir, args.toArray(String[]::new));
        assertThat(p.awaitLog("replicating to", Duration.ofSeconds(120))).as(p.output().toString()).isTrue();

        BlobContainerClient blobs = azurite.admin().getBlobContainerClient(container);
        writeConcurrently(db, 4, 25);
        awaitQuiet(blobs, prefix + "ltx/0/");
        String firstBurst = TestDb.digest(db);
        Instant between = Instant.now();
        Thread.sleep(1500); // the next files' timestamps (milliseconds) come clearly after this moment
        writeConcurrently(db, 4, 25);
        String latest = TestDb.digest(db);

        p.terminate();
        CliProcess.Result stopped = p.await(Duration.ofSeconds(120));
        assertThat(stopped.code()).as(stopped.toString()).isZero();

        List<String> stored = new ArrayList<>();
        for (BlobItem item : blobs.listBlobs(new ListBlobsOptions().setPrefix(prefix), null)) {
            stored.add(item.getName());
            assertThat(item.getName()).matches(java.util.regex.Pattern.quote(prefix) + "ltx/\\d/[0-9a-f]{16}-[0-9a-f]{16}\\.ltx");
            try (LtxDecoder d = new LtxDecoder(blobs.getBlobClient(item.getName()).openInputStream(), item.getName())) {
                d.verify();
            }
        }
        assertThat(stored).as("files replicated").hasSizeGreaterThan(1);

        Path restored = dir.resolve("restored.db");
        List<String> restore = new ArrayList<>(List.of("restore", "-integrity-check", "full", "-o", restored.toString()));
        restore.addAll(restoreTarget);
        CliProcess.Result r = CliProcess.start(env, dir, restore.toArray(String[]::new)).await(Duration.ofSeconds(120));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(TestDb.digest(restored)).isEqualTo(latest);
        assertThat(TestDb.integrityCheck(restored)).isEqualTo("ok");

        Path earlier = dir.resolve("earlier.db");
        List<String> pit = new ArrayList<>(List.of("restore", "-timestamp", between.toString(), "-o", earlier.toString()));
        pit.addAll(restoreTarget);
        CliProcess.Result e = CliProcess.start(env, dir, pit.toArray(String[]::new)).await(Duration.ofSeconds(120));
        assertThat(e.code()).as(e.toString()).isZero();
        assertThat(TestDb.digest(earlier)).as("the state at %s", between).isEqualTo(firstBurst).isNotEqualTo(latest);
        assertThat(TestDb.integrityCheck(earlier)).isEqualTo("ok");
        return new CliProcess.Result(0, stopped.out() + r.out() + e.out(), stopped.err() + r.err() + e.err());
    }

    /** {@code writers} threads, each committing {@code transactions} inserts of its own. */
    private static void writeConcurrently(Path db, int writers, int transactions) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                done.add(pool.submit(() -> {
                    try (Connection c = TestDb.open(db, 30_000)) {
                        for (int t = 0; t < transactions; t++) {
                            TestDb.insert(c, 3, 500);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(300, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Waits until the replica's L0 listing is non-empty and has not changed for 3 s: every write
     * so far has been synced and uploaded (the replicator syncs every second). Bounded by 180 s.
     */
    private static void awaitQuiet(BlobContainerClient blobs, String prefix) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        List<String> last = List.of();
        long stableSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            List<String> now = new ArrayList<>();
            blobs.listBlobs(new ListBlobsOptions().setPrefix(prefix), null).forEach(b -> now.add(b.getName()));
            if (!now.equals(last)) {
                last = now;
                stableSince = System.nanoTime();
            } else if (!now.isEmpty() && System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(3)) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("the replica under " + prefix + " did not settle within 180 s: " + last);
    }
}
