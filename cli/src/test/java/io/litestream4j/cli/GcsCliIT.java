package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.storage.Blob;
import com.google.cloud.storage.Storage;
import io.litestream4j.core.TestDb;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.ltx.LtxDecoder;
import io.litestream4j.replica.gcs.GcsEmulator;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code bin/litestream} replicating to the firebase-tools Cloud Storage emulator
 * ({@code STORAGE_EMULATOR_HOST}, a {@code gs} replica from config keys) while writers change the
 * database: {@link KillRestartRetention}'s SIGKILL, restart, level-1 compaction and L0 retention
 * every second over GCS, and restores of the latest state and at a level-1 file's TXID; and a
 * restore of the state at a moment between two bursts of writes ({@code -timestamp}). Every object
 * is a valid LTX file named and labelled as Litestream 0.5 does.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(900) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class GcsCliIT {
    private static final String BUCKET = "cli";
    private GcsEmulator emulator;
    private Storage admin;

    @TempDir
    Path dir;

    @BeforeAll
    void startEmulator() throws Exception {
        emulator = GcsEmulator.start();
        admin = emulator.admin();
    }

    @AfterAll
    void stopEmulator() throws Exception {
        if (admin != null) {
            admin.close();
        }
        if (emulator != null) {
            emulator.close();
        }
    }

    /** Google's spelling without a scheme, {@code host:port}, as Go's client reads it too. */
    private Map<String, String> env() {
        return Map.of("STORAGE_EMULATOR_HOST", "127.0.0.1:" + emulator.port());
    }

    private Path config(Path db, String path, String top) throws Exception {
        return CliProcess.writeConfig(dir, top + """
                dbs:
                  - path: %s
                    replica:
                      type: gs
                      bucket: %s
                      path: %s
                """.formatted(db, BUCKET, path));
    }

    @Test
    void killedRestartedCompactedRetainedAndRestoredByTxid() throws Exception {
        Path db = TestDb.create(dir, "kill.db", 4096, 50);
        Path cfg = config(db, "apps/kill.db", KillRestartRetention.LEVELS);
        try (ReplicaClient replica = emulator.client(BUCKET, "apps/kill.db")) {
            KillRestartRetention.run(env(), dir, db, cfg, replica);
        }
        verifyObjects("apps/kill.db/ltx/");
    }

    @Test
    void restoresTheStateBetweenTwoBurstsByTimestamp() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 50);
        Path cfg = config(db, "apps/app.db", "");
        String prefix = "apps/app.db/ltx/";
        CliProcess p = CliProcess.start(env(), dir, "replicate", "-config", cfg.toString());
        // Start-up takes seconds, minutes on an overloaded machine: the writers start after it.
        assertThat(p.awaitLog("replicating to", Duration.ofSeconds(300))).as(p.output().toString()).isTrue();
        try (RowWriters w = new RowWriters(db, 3, Duration.ofMillis(20))) {
            Thread.sleep(3000);
        }
        awaitQuiet(prefix + "0/");
        String firstBurst = TestDb.digest(db);
        Instant between = Instant.now();
        Thread.sleep(1500); // the next files' timestamps (milliseconds) come clearly after this moment
        try (RowWriters w = new RowWriters(db, 3, Duration.ofMillis(20))) {
            Thread.sleep(2000);
        }
        String latest = TestDb.digest(db);
        p.terminate();
        CliProcess.Result stopped = p.await(Duration.ofSeconds(120));
        assertThat(stopped.code()).as(stopped.toString()).isZero();
        verifyObjects(prefix);

        Path restored = dir.resolve("restored.db");
        CliProcess.Result r = CliProcess.start(env(), dir, "restore", "-config", cfg.toString(), "-integrity-check", "full", "-o", restored.toString(),
                db.toString()).await(Duration.ofSeconds(120));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(TestDb.digest(restored)).as("the latest state").isEqualTo(latest);

        Path earlier = dir.resolve("earlier.db");
        CliProcess.Result e = CliProcess.start(env(), dir, "restore", "-config", cfg.toString(), "-timestamp", between.toString(), "-o",
                earlier.toString(), db.toString()).await(Duration.ofSeconds(120));
        assertThat(e.code()).as(e.toString()).isZero();
        assertThat(TestDb.digest(earlier)).as("the state at %s", between).isEqualTo(firstBurst).isNotEqualTo(latest);
        assertThat(TestDb.integrityCheck(earlier)).isEqualTo("ok");
    }

    /** Every object under {@code prefix} is a valid LTX file, named as Litestream names it, labelled with its header's time. */
    private void verifyObjects(String prefix) throws Exception {
        Map<String, Blob> stored = objects(prefix);
        assertThat(stored).as("objects replicated").hasSizeGreaterThan(1);
        for (Blob blob : stored.values()) {
            assertThat(blob.getName()).matches(java.util.regex.Pattern.quote(prefix) + "\\d/[0-9a-f]{16}-[0-9a-f]{16}\\.ltx");
            long headerMillis;
            try (LtxDecoder d = new LtxDecoder(Channels.newInputStream(admin.reader(blob.getBlobId())), blob.getName())) {
                headerMillis = d.header().timestamp();
                d.verify();
            }
            // Litestream's metadata: the header's time, RFC 3339 as Go prints it (no trailing zeros).
            String recorded = blob.getMetadata().get("litestream-timestamp");
            assertThat(recorded).as(blob.getName()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d*[1-9])?Z");
            assertThat(Instant.parse(recorded)).as(blob.getName()).isEqualTo(Instant.ofEpochMilli(headerMillis));
        }
    }

    /** The objects under {@code prefix}, by name. */
    private Map<String, Blob> objects(String prefix) {
        Map<String, Blob> out = new TreeMap<>();
        for (Blob b : admin.list(BUCKET, Storage.BlobListOption.prefix(prefix)).iterateAll()) {
            out.put(b.getName(), b);
        }
        return out;
    }

    /**
     * Waits until the listing under {@code prefix} is non-empty and has not changed for 3 s: every
     * write so far synced and uploaded (the replicator syncs every second). Bounded by 180 s.
     */
    private void awaitQuiet(String prefix) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        java.util.Set<String> last = java.util.Set.of();
        long stableSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            java.util.Set<String> now = objects(prefix).keySet();
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
