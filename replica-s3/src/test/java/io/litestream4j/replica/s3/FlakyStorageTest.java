package io.litestream4j.replica.s3;

import io.litestream4j.core.replica.TcpFaultProxy;
import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.DatabaseOptions;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.Soak;
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
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Storage that fails 20% of its requests (500s, 503 SlowDown, connections reset mid-upload or
 * before the answer, 500 ms answers, at random) for a while under load: four writers at about
 * 100 transactions a second each, uploads every 100 ms, a real S3 server (S3Proxy) behind the
 * fault injector, with compaction on. 60 s of faults in CI, 10 minutes with {@code -Psoak}. Then: the replica is back
 * to the database's TXID and its lag under its 2 s target within 10 s of the faults stopping,
 * the writers never saw an error, and the restore equals the source.
 */
class FlakyStorageTest {
    private static final Duration FAULTY = Duration.ofSeconds(Soak.pick(60, 600));
    private static final int WRITERS = 4;
    /** Uploads at most this often: ten times S3's default rate, for more requests to fail. */
    private static final Duration SYNC_INTERVAL = Duration.ofMillis(100);
    /** Twice S3's default sync interval (1 s). */
    private static final Duration LAG_TARGET = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES) // the soak's 10 minutes of faults and the catch-up, with room for a loaded machine
    void twentyPercentFaultsUnderLoadLoseNothingAndTheLagRecoversWithinTenSeconds() throws Exception {
        long seed = Long.getLong("faults.seed", System.nanoTime());
        System.out.println("FlakyStorageTest seed " + seed + " (rerun with -Dfaults.seed=" + seed + ")");
        try (S3TestServer server = S3TestServer.start()) {
            server.createBucket("flaky");
            FaultInjectingClient faults = new FaultInjectingClient(new S3ReplicaClient(server.settings("flaky", "app.db")));
            faults.randomFaults(0.2, seed);
            replicateThroughFaults(server, faults, on -> faults.mode(on ? Mode.RANDOM : Mode.NONE), faults::injected,
                    () -> "%d calls, %d faults injected %s".formatted(faults.calls(), faults.injected(), faults.randomFaultsByKind()));
        }
    }

    /**
     * The same through a TCP proxy that resets part-way or stalls (0.2-2 s) 20% of the requests:
     * the S3 SDK's own retries and connection pool meet real broken sockets.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void twentyPercentBrokenConnectionsLoseNothingAndTheLagRecoversWithinTenSeconds() throws Exception {
        long seed = Long.getLong("faults.seed", System.nanoTime());
        System.out.println("FlakyStorageTest (tcp) seed " + seed + " (rerun with -Dfaults.seed=" + seed + ")");
        try (S3TestServer server = S3TestServer.start(); TcpFaultProxy proxy = new TcpFaultProxy(server.endpoint(), seed)) {
            server.createBucket("flaky");
            S3ReplicaClient client = new S3ReplicaClient(server.settings("flaky", "app.db").withEndpoint(proxy.endpoint()));
            replicateThroughFaults(server, client, on -> proxy.faultRate(on ? 0.2 : 0), proxy::faults, proxy::stats);
        }
    }

    private void replicateThroughFaults(S3TestServer server, io.litestream4j.core.replica.ReplicaClient client,
            java.util.function.Consumer<Boolean> faultsOn, java.util.function.LongSupplier injected, java.util.function.Supplier<String> stats)
            throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        DatabaseReplicator r = DatabaseReplicator.start(db, DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(100)),
                List.of(new DatabaseReplicator.Destination(client, SYNC_INTERVAL)), CompactionSettings.defaults(), Clock.systemUTC());
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong commits = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> writerErrors = new ConcurrentLinkedQueue<>();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            writers.add(Thread.ofPlatform().start(() -> {
                try (Connection c = TestDb.open(db, 5000)) {
                    while (!stop.get()) {
                        TestDb.insert(c, 1, 300);
                        commits.incrementAndGet();
                        Thread.sleep(10);
                    }
                } catch (Throwable e) {
                    writerErrors.add(e);
                }
            }));
        }
        try {
            long start = System.nanoTime();
            faultsOn.accept(true);
            Thread.sleep(FAULTY);
            faultsOn.accept(false);
            double seconds = (System.nanoTime() - start) / 1e9;
            String during = stats.get();
            assertThat(injected.getAsLong()).as("faults were really injected").isPositive();
            // The store is well again while the writers go on: the replica must reach the TXID
            // of this moment and its lag get under its target.
            long target = r.database().txid();
            long since = System.nanoTime();
            while ((Long.compareUnsigned(r.replicaPositions().getFirst(), target) < 0 || r.replicaStatuses().getFirst().lagMillis() >= LAG_TARGET.toMillis())
                    && System.nanoTime() - since < Duration.ofSeconds(60).toNanos()) {
                Thread.sleep(20);
            }
            double recovery = (System.nanoTime() - since) / 1e9;
            System.out.printf("FlakyStorageTest: %.0f s of faults: %s; %d transactions (%.0f/s); replica caught up and lag under %d s %.2f s after recovery%n",
                    seconds, during, commits.get(), commits.get() / seconds, LAG_TARGET.toSeconds(), recovery);
            assertThat(Long.compareUnsigned(r.replicaPositions().getFirst(), target)).as("caught up").isGreaterThanOrEqualTo(0);
            assertThat(recovery).as("seconds from recovery to lag under target").isLessThan(10.0);
        } finally {
            stop.set(true);
            for (Thread w : writers) {
                assertThat(w.join(Duration.ofSeconds(60))).as("writer stopped").isTrue();
            }
            assertThat(r.stop(Duration.ofSeconds(60))).as("final sync uploaded").isTrue();
            r.close();
        }
        assertThat(writerErrors).as("the application never saw an error").isEmpty();

        Path restored = dir.resolve("restored.db");
        try (S3ReplicaClient clean = new S3ReplicaClient(server.settings("flaky", "app.db"))) {
            var result = Restorer.restore(clean, RestorePlanner.plan(clean, OptionalLong.empty()),
                    new RestoreOptions(restored, OptionalLong.empty(), RestoreOptions.IntegrityCheck.FULL, false));
            assertThat(result.checksumVerified()).isTrue();
        }
        assertThat(TestDb.digest(restored)).isEqualTo(TestDb.digest(db));
    }
}
