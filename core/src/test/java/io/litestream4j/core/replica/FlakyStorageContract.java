package io.litestream4j.core.replica;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.CompactionSettings;
import io.litestream4j.DatabaseOptions;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.Soak;
import io.litestream4j.core.TestDb;
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
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A flaky network between the replicator and a real storage server, the same bar for every
 * backend (a subclass per backend starts its server): four writers at about 100 transactions a
 * second each, uploads every 100 ms with compaction on, through a {@link TcpFaultProxy} that
 * resets part-way or stalls (0.2-2 s) 20% of the requests for 60 s (10 minutes with
 * {@code -Psoak}). Then the faults stop while the writers go on, and: the replica holds the TXID
 * the database had at that moment and its lag is under 2 s within 10 s, the writers never saw an
 * error, and a restore (through a clean connection) equals the source row for row and passes
 * {@code integrity_check}.
 */
public abstract class FlakyStorageContract {
    private static final int WRITERS = 4;
    /** Uploads at most this often: ten times the default rate, for more requests to meet faults. */
    private static final Duration SYNC_INTERVAL = Duration.ofMillis(100);
    /** Twice the default sync interval (1 s). */
    private static final Duration LAG_TARGET = Duration.ofSeconds(2);
    /** From the end of the faults to the replica at the database's TXID and lag under target. */
    private static final double RECOVERY_SECONDS = 10.0;

    @TempDir
    protected Path dir;

    /** Starts the backend's real server on loopback, with an empty replica location. */
    protected abstract LoopbackServer startServer(Path dir) throws Exception;

    /**
     * How long the faults last: 20 s in CI (HTTP backends open dozens of connections in that time,
     * so faults are certain), 10 minutes with {@code -Psoak}. A backend holding one long connection
     * (NATS) meets few faults a minute and needs longer for the "faults were really injected" check.
     */
    protected Duration faultyFor() {
        return Duration.ofSeconds(Soak.pick(20, 600));
    }

    /** The backend's name in the printed figures. */
    protected String name() {
        return getClass().getSimpleName();
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES) // the soak's 10 minutes of faults and the catch-up, with room for a loaded machine
    void twentyPercentBrokenConnectionsLoseNothingAndTheLagRecoversWithinTenSeconds() throws Exception {
        long seed = Long.getLong("faults.seed", System.nanoTime());
        System.out.println(name() + " (tcp) seed " + seed + " (rerun with -Dfaults.seed=" + seed + ")");
        try (LoopbackServer server = startServer(dir.resolve("server")); TcpFaultProxy proxy = new TcpFaultProxy(
                java.net.URI.create("tcp://127.0.0.1:" + server.port()), seed); ReplicaClient client = server.client(proxy.port())) {
            replicateThroughFaults(client, on -> proxy.faultRate(on ? 0.2 : 0), proxy::faults, proxy::stats);
            try (ReplicaClient clean = server.client()) {
                assertRestoreEqualsSource(clean);
            }
        }
    }

    /**
     * Replicates {@code dir/app.db} to {@code client} under four writers, with faults switched on
     * ({@code faultsOn.accept(true)}) for the faulty span and then off; checks that faults really
     * happened ({@code injected}), that the replica catches up within 10 s and that the writers
     * never saw an error. {@code stats} describes the faults for the printed line.
     */
    protected final void replicateThroughFaults(ReplicaClient client, Consumer<Boolean> faultsOn, LongSupplier injected,
            Supplier<String> stats) throws Exception {
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
            Thread.sleep(faultyFor());
            faultsOn.accept(false);
            double seconds = (System.nanoTime() - start) / 1e9;
            String during = stats.get();
            assertThat(injected.getAsLong()).as("faults were really injected").isPositive();
            // The store is well again while the writers go on: the replica must reach the TXID
            // of this moment and its lag get under its target. Waits up to 60 s so that a miss
            // prints how long it really took.
            long target = r.database().txid();
            long since = System.nanoTime();
            while ((Long.compareUnsigned(r.replicaPositions().getFirst(), target) < 0
                    || r.replicaStatuses().getFirst().lagMillis() >= LAG_TARGET.toMillis())
                    && System.nanoTime() - since < Duration.ofSeconds(60).toNanos()) {
                Thread.sleep(20);
            }
            double recovery = (System.nanoTime() - since) / 1e9;
            System.out.printf("%s: %.0f s of faults: %s; %d transactions (%.0f/s); replica caught up and lag under %d s %.2f s after recovery%n",
                    name(), seconds, during, commits.get(), commits.get() / seconds, LAG_TARGET.toSeconds(), recovery);
            assertThat(Long.compareUnsigned(r.replicaPositions().getFirst(), target)).as("caught up").isGreaterThanOrEqualTo(0);
            assertThat(recovery).as("seconds from recovery to lag under target").isLessThan(RECOVERY_SECONDS);
        } finally {
            stop.set(true);
            for (Thread w : writers) {
                assertThat(w.join(Duration.ofSeconds(60))).as("writer stopped").isTrue();
            }
            assertThat(r.stop(Duration.ofSeconds(60))).as("final sync uploaded").isTrue();
            r.close();
        }
        assertThat(writerErrors).as("the application never saw an error").isEmpty();
    }

    /** Restores the latest state from {@code clean} and compares it with {@code dir/app.db}: rows, checksum and integrity_check. */
    protected final void assertRestoreEqualsSource(ReplicaClient clean) throws Exception {
        Path restored = dir.resolve("restored.db");
        var result = Restorer.restore(clean, RestorePlanner.plan(clean, OptionalLong.empty()),
                new RestoreOptions(restored, OptionalLong.empty(), RestoreOptions.IntegrityCheck.FULL, false));
        assertThat(result.checksumVerified()).isTrue();
        assertThat(TestDb.integrityCheck(restored)).isEqualTo("ok");
        assertThat(TestDb.digest(restored)).isEqualTo(TestDb.digest(dir.resolve("app.db")));
    }
}
