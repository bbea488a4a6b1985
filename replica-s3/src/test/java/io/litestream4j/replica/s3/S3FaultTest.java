package io.litestream4j.replica.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.DatabaseOptions;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.TestDb;
import io.litestream4j.CompactionSettings;
import io.litestream4j.core.replica.FaultInjectingClient;
import io.litestream4j.core.replica.FaultInjectingClient.Mode;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Timeout;

/**
 * Replication to a real S3 server through a fault injector while an application writes: server
 * errors, throttling, connections reset mid-upload and slow responses. Writers never notice,
 * replication keeps going, the lag recovers once the faults stop, and nothing is lost.
 */
@Timeout(300) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class S3FaultTest {
    @TempDir
    Path dir;

    @Test
    void faultsDelayButNeverLoseData() throws Exception {
        try (S3TestServer server = S3TestServer.start()) {
            server.createBucket("faults");
            Path db = TestDb.create(dir, "app.db", 4096, 10);
            FaultInjectingClient faults = new FaultInjectingClient(new S3ReplicaClient(server.settings("faults", "app.db")));
            DatabaseReplicator r = DatabaseReplicator.start(db, DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(100)),
                    List.of(new DatabaseReplicator.Destination(faults, Duration.ZERO)), CompactionSettings.defaults(), Clock.systemUTC());
            AtomicBoolean stop = new AtomicBoolean();
            ConcurrentLinkedQueue<Throwable> writerErrors = new ConcurrentLinkedQueue<>();
            Thread writer = Thread.ofPlatform().start(() -> {
                try (Connection c = TestDb.open(db)) {
                    while (!stop.get()) {
                        TestDb.insert(c, 1, 300);
                        Thread.sleep(10);
                    }
                } catch (Throwable e) {
                    writerErrors.add(e);
                }
            });
            try {
                Thread.sleep(1000);
                for (Mode mode : new Mode[] {Mode.SERVER_ERRORS, Mode.THROTTLED, Mode.RESET_MID_UPLOAD, Mode.SLOW}) {
                    long injectedBefore = faults.injected();
                    faults.mode(mode);
                    Thread.sleep(2000);
                    faults.mode(Mode.NONE);
                    assertThat(faults.injected()).as("%s was really injected", mode).isGreaterThan(injectedBefore);
                    // The server is well again: the replica must catch up with the writes, which go on.
                    long target = r.database().txid();
                    long since = System.nanoTime();
                    while (r.replicaPositions().getFirst() < target && System.nanoTime() - since < Duration.ofSeconds(30).toNanos()) {
                        Thread.sleep(20);
                    }
                    double recovery = (System.nanoTime() - since) / 1e9;
                    System.out.printf("S3FaultTest: after %s the replica caught up in %.2f s%n", mode, recovery);
                    assertThat(r.replicaPositions().getFirst()).as("caught up after %s", mode).isGreaterThanOrEqualTo(target);
                    assertThat(recovery).as("seconds to recover after %s (the longest backoff is 5 s, then the backlog)", mode).isLessThan(10.0);
                }
                stop.set(true);
                assertThat(writer.join(Duration.ofSeconds(60))).as("writer stopped").isTrue();
                        } finally {
                stop.set(true);
                assertThat(writer.join(Duration.ofSeconds(60))).as("writer stopped").isTrue();
                assertThat(r.stop(Duration.ofSeconds(30))).isTrue();
                r.close();
            }
            assertThat(writerErrors).as("the application never saw an error").isEmpty();

            Path restored = dir.resolve("restored.db");
            try (S3ReplicaClient clean = new S3ReplicaClient(server.settings("faults", "app.db"))) {
                var result = Restorer.restore(clean, RestorePlanner.plan(clean, OptionalLong.empty()),
                        new RestoreOptions(restored, OptionalLong.empty(), RestoreOptions.IntegrityCheck.FULL, false));
                assertThat(result.checksumVerified()).isTrue();
            }
            assertThat(TestDb.digest(restored)).isEqualTo(TestDb.digest(db));
        }
    }
}
