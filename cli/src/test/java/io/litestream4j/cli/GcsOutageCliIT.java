package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import io.litestream4j.replica.gcs.GcsEmulator;
import io.litestream4j.replica.gcs.OutageProxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code bin/litestream} against Cloud Storage that cannot be reached at start-up (a
 * clear error, exit 1), and that goes away for 20 s while a writer keeps committing: {@code /healthz}
 * turns 503, and once it is back the replica catches up, nothing is lost, and the restore equals
 * the database. The emulator keeps objects in memory, so the outage is made by a proxy in front of
 * it that refuses connections and resets the open ones (what a stopped server does to a client).
 */
@Timeout(900) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class GcsOutageCliIT {

    @TempDir
    Path dir;

    @Test
    void aStorageUnreachableAtStartUpIsAClearError() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 5);
        int closed = GcsEmulator.freePort();
        CliProcess.Result r = CliProcess.start(Map.of("STORAGE_EMULATOR_HOST", "127.0.0.1:" + closed), dir, "replicate", db.toString(),
                "gs://down/app.db").await(Duration.ofSeconds(180));
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("gs://down/app.db").contains("cannot connect to http://127.0.0.1:" + closed);
    }

    @Test
    void anOutageUnderLoadLosesNothingAndHealthRecovers() throws Exception {
        try (GcsEmulator emulator = GcsEmulator.start(); OutageProxy proxy = new OutageProxy(emulator.url())) {
            Map<String, String> env = Map.of("STORAGE_EMULATOR_HOST", proxy.url().toString());
            Path db = TestDb.create(dir, "app.db", 4096, 20);
            Path cfg = CliProcess.writeConfig(dir, """
                    addr: 127.0.0.1:0
                    dbs:
                      - path: %s
                        replica:
                          url: gs://outage/app.db
                    """.formatted(db));
            CliProcess p = CliProcess.start(env, dir, "replicate", "-config", cfg.toString());
            assertThat(p.awaitLog("replicating to", Duration.ofSeconds(300))).as(p.output().toString()).isTrue();
            DaemonProbe daemon = DaemonProbe.of(p);

            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicReference<Exception> writerFailure = new AtomicReference<>();
            Thread writer = Thread.ofPlatform().start(() -> {
                try (Connection c = TestDb.open(db, 30_000)) {
                    while (writing.get()) {
                        TestDb.insert(c, 1, 300);
                        Thread.sleep(50);
                    }
                } catch (Exception e) {
                    writerFailure.set(e);
                }
            });
            Thread.sleep(3000);
            proxy.down();
            long down = System.nanoTime();
            assertThat(daemon.awaitHealth(503, Duration.ofSeconds(90))).as("/healthz turns 503 while the storage is unreachable").isTrue();
            Thread.sleep(Math.max(0, Duration.ofSeconds(20).toMillis() - (System.nanoTime() - down) / 1_000_000));

            proxy.up();
            daemon.assertRecovers("gcs outage", System.nanoTime());

            Thread.sleep(2000);
            writing.set(false);
            writer.join(60_000);
            assertThat(writerFailure.get()).isNull();
            String latest = TestDb.digest(db);
            p.terminate();
            CliProcess.Result stopped = p.await(Duration.ofSeconds(120));
            assertThat(stopped.code()).as(stopped.toString()).isZero();
            assertThat(stopped.err()).contains("gs://outage/app.db").contains("cannot connect to " + proxy.url());

            Path restored = dir.resolve("restored.db");
            CliProcess.Result r = CliProcess.start(env, dir, "restore", "-integrity-check", "full", "-o", restored.toString(), "gs://outage/app.db")
                    .await(Duration.ofSeconds(120));
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(TestDb.digest(restored)).as("every commit, those made during the outage too").isEqualTo(latest);
        }
    }
}
