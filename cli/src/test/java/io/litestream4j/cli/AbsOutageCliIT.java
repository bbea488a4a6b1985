package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import io.litestream4j.replica.abs.Azurite;
import java.nio.file.Files;
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
 * The real {@code bin/litestream} against Azurite that is down at start-up (a clear error, exit
 * 1) and that stops for 20 s while a writer keeps committing: {@code /healthz} turns 503, and
 * once Azurite is back the replica catches up, nothing is lost, and the restore equals the
 * database.
 */
@Timeout(900) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class AbsOutageCliIT {
    private static final Map<String, String> KEY = Map.of("LITESTREAM_AZURE_ACCOUNT_KEY", Azurite.KEY);

    @TempDir
    Path dir;

    private String url(int port, String container) {
        return "abs://%s@%s/app.db?endpoint=http://127.0.0.1:%d/%s".formatted(Azurite.ACCOUNT, container, port, Azurite.ACCOUNT);
    }

    @Test
    void aServerDownAtStartUpIsAClearError() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 5);
        int closed = Azurite.freePort();
        CliProcess.Result r = CliProcess.start(KEY, dir, "replicate", db.toString(), url(closed, "down")).await(Duration.ofSeconds(180));
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("abs://devstoreaccount1@down/app.db").contains("cannot connect to http://127.0.0.1:" + closed)
                .doesNotContain(Azurite.KEY);
    }

    @Test
    void anOutageUnderLoadLosesNothingAndHealthRecovers() throws Exception {
        int port = Azurite.freePort();
        Path store = Files.createTempDirectory("azurite-outage");
        Azurite azurite = Azurite.start(port, store);
        try {
            azurite.container("outage");
            Path db = TestDb.create(dir, "app.db", 4096, 20);
            Path cfg = CliProcess.writeConfig(dir, """
                    addr: 127.0.0.1:0
                    dbs:
                      - path: %s
                        replica:
                          url: %s
                    """.formatted(db, url(port, "outage")));
            CliProcess p = CliProcess.start(KEY, dir, "replicate", "-config", cfg.toString());
            assertThat(p.awaitLog("replicating to", Duration.ofSeconds(120))).as(p.output().toString()).isTrue();
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
            azurite.stop();
            long down = System.nanoTime();
            assertThat(daemon.awaitHealth(503, Duration.ofSeconds(90))).as("/healthz turns 503 while Azurite is down").isTrue();
            Thread.sleep(Math.max(0, Duration.ofSeconds(20).toMillis() - (System.nanoTime() - down) / 1_000_000));

            azurite = Azurite.start(port, store);
            daemon.assertRecovers("abs outage", System.nanoTime());

            Thread.sleep(2000);
            writing.set(false);
            writer.join(60_000);
            assertThat(writerFailure.get()).isNull();
            String latest = TestDb.digest(db);
            p.terminate();
            CliProcess.Result stopped = p.await(Duration.ofSeconds(120));
            assertThat(stopped.code()).as(stopped.toString()).isZero();
            assertThat(stopped.err()).contains("cannot connect to http://127.0.0.1:" + port).doesNotContain(Azurite.KEY);

            Path restored = dir.resolve("restored.db");
            CliProcess.Result r = CliProcess.start(KEY, dir, "restore", "-integrity-check", "full", "-o", restored.toString(), url(port, "outage"))
                    .await(Duration.ofSeconds(120));
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(TestDb.digest(restored)).as("every commit, those made during the outage too").isEqualTo(latest);
        } finally {
            azurite.close();
        }
    }
}
