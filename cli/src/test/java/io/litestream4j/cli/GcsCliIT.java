package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.storage.Blob;
import com.google.cloud.storage.Storage;
import io.litestream4j.core.TestDb;
import io.litestream4j.ltx.LtxDecoder;
import io.litestream4j.replica.gcs.GcsEmulator;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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
 * database: killed with SIGKILL and restarted mid-run, with level-1 compaction and L0 retention
 * every second over GCS; then restores of the latest state, of the state at a moment between two
 * bursts of writes ({@code -timestamp}) and at a level-1 file's TXID ({@code -txid}). Every object
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

    @Test
    void killedRestartedCompactedAndRestoredLatestByTimestampAndByTxid() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 50);
        Path cfg = CliProcess.writeConfig(dir, """
                levels:
                  - interval: 1s
                l0-retention: 1s
                l0-retention-check-interval: 1s
                dbs:
                  - path: %s
                    replica:
                      type: gs
                      bucket: %s
                      path: apps/app.db
                """.formatted(db, BUCKET));
        String prefix = "apps/app.db/ltx/";
        CliProcess first = CliProcess.start(env(), dir, "replicate", "-config", cfg.toString());
        // Start-up takes seconds, minutes on an overloaded machine: the writers start after it.
        assertThat(first.awaitLog("replicating to", Duration.ofSeconds(300))).as(first.output().toString()).isTrue();
        CliProcess second;
        try (RowWriters w = new RowWriters(db, 3, Duration.ofMillis(20))) {
            Thread.sleep(3000);
            first.kill(); // SIGKILL mid-run, writers still writing: no final sync
            Thread.sleep(500);
            second = CliProcess.start(env(), dir, "replicate", "-config", cfg.toString());
            assertThat(second.awaitLog("replicating to", Duration.ofSeconds(300))).as(second.output().toString()).isTrue();
            Thread.sleep(3000);
        }
        awaitSettled(prefix);
        assertThat(compactedAndRetained(prefix)).as("level 1 written and covered L0 files deleted over GCS: %s", objects(prefix)).isTrue();
        String firstBurst = TestDb.digest(db);
        Instant between = Instant.now();
        Thread.sleep(1500); // the next files' timestamps (milliseconds) come clearly after this moment
        try (RowWriters w = new RowWriters(db, 3, Duration.ofMillis(20))) {
            Thread.sleep(2000);
        }
        String latest = TestDb.digest(db);
        second.terminate();
        CliProcess.Result stopped = second.await(Duration.ofSeconds(120));
        assertThat(stopped.code()).as(stopped.toString()).isZero();

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

        Path restored = dir.resolve("restored.db");
        CliProcess.Result r = CliProcess.start(env(), dir, "restore", "-config", cfg.toString(), "-integrity-check", "full", "-o", restored.toString(),
                db.toString()).await(Duration.ofSeconds(120));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(TestDb.digest(restored)).as("the latest state").isEqualTo(latest);
        assertThat(TestDb.integrityCheck(restored)).isEqualTo("ok");

        Path earlier = dir.resolve("earlier.db");
        CliProcess.Result e = CliProcess.start(env(), dir, "restore", "-config", cfg.toString(), "-timestamp", between.toString(), "-o",
                earlier.toString(), db.toString()).await(Duration.ofSeconds(120));
        assertThat(e.code()).as(e.toString()).isZero();
        assertThat(TestDb.digest(earlier)).as("the state at %s", between).isEqualTo(firstBurst).isNotEqualTo(latest);
        assertThat(TestDb.integrityCheck(earlier)).isEqualTo("ok");

        long firstL1Max = maxTxids(prefix + "1/").getFirst();
        String txid = "%016x".formatted(firstL1Max);
        Path atTxid = dir.resolve("txid.db");
        CliProcess.Result t = CliProcess.start(env(), dir, "restore", "-config", cfg.toString(), "-txid", txid, "-integrity-check", "full", "-o",
                atTxid.toString(), db.toString()).await(Duration.ofSeconds(120));
        assertThat(t.code()).as(t.toString()).isZero();
        assertThat(t.out()).contains("to TXID " + txid);
        assertThat(TestDb.integrityCheck(atTxid)).isEqualTo("ok");
    }

    /** The objects under {@code prefix}, by name. */
    private Map<String, Blob> objects(String prefix) {
        Map<String, Blob> out = new TreeMap<>();
        for (Blob b : admin.list(BUCKET, Storage.BlobListOption.prefix(prefix)).iterateAll()) {
            out.put(b.getName(), b);
        }
        return out;
    }

    /** The max TXIDs of the objects directly under {@code levelPrefix}, sorted. */
    private List<Long> maxTxids(String levelPrefix) {
        List<Long> out = new ArrayList<>();
        for (String name : objects(levelPrefix).keySet()) {
            String file = name.substring(levelPrefix.length());
            if (file.matches("[0-9a-f]{16}-[0-9a-f]{16}\\.ltx")) {
                out.add(Long.parseUnsignedLong(file.substring(17, 33), 16));
            }
        }
        out.sort(Long::compareUnsigned);
        return out;
    }

    /** Level 1 holds files, and no L0 file is wholly covered by the first of them (retention deleted those). */
    private boolean compactedAndRetained(String prefix) {
        List<Long> level1 = maxTxids(prefix + "1/");
        return !level1.isEmpty() && maxTxids(prefix + "0/").stream().noneMatch(max -> max < level1.getFirst());
    }

    /**
     * Waits until the replica holds level-1 files and its listing has not changed for 3 s: every
     * write so far synced and uploaded, compaction and retention done (each runs every second).
     * Bounded by 180 s.
     */
    private void awaitSettled(String prefix) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        java.util.Set<String> last = java.util.Set.of();
        long stableSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            java.util.Set<String> now = objects(prefix).keySet();
            if (!now.equals(last)) {
                last = now;
                stableSince = System.nanoTime();
            } else if (compactedAndRetained(prefix) && System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(3)) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("the replica under " + prefix + " did not settle within 180 s: " + last);
    }
}
