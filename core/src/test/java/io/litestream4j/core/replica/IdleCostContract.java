package io.litestream4j.core.replica;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.CompactionSettings;
import io.litestream4j.DatabaseOptions;
import io.litestream4j.ReplicationEvents;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.FakeClock;
import io.litestream4j.core.TestDb;
import io.litestream4j.core.compaction.ReplicaCompactor;
import io.litestream4j.core.compaction.ReplicaMaintainer;
import io.litestream4j.ltx.LtxFileInfo;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An idle database costs nothing on the storage, the same bar for every backend (a subclass per
 * backend starts its server): after a burst of writes has been uploaded and compacted, a whole
 * minute with compaction boundaries, retention checks and the time-based checkpoint in it sends
 * no request at all. Requests are counted as bytes clients send through a proxy in front of the
 * server: any request, whatever the protocol, sends some (keep-alive traffic of a backend that
 * holds a connection open would count too).
 *
 * <p>Time is a fake clock the test moves: the minute's schedule (six level-1 boundaries, four
 * retention checks, the checkpoint) runs in a few real seconds and in the same order on any
 * machine. (A version that waited a real 82 s once failed in a full build on a busy machine: the
 * final TXID was read before the last commit was synced, and compaction of the burst could still
 * be running when the idle minute began.)
 */
@Timeout(180)
public abstract class IdleCostContract {
    private static final Instant START = Instant.parse("2026-11-23T00:00:05Z");

    @TempDir
    protected Path dir;

    /** Starts the backend's real server on loopback, with an empty replica location. */
    protected abstract LoopbackServer startServer(Path dir) throws Exception;

    /**
     * How long to wait, once the burst is compacted, before the idle minute begins: for a server
     * whose own keepalive makes a client answer shortly after it connected (nats-server PINGs a
     * client about 2 s after CONNECT, then every 2 minutes; the client's PONG is no request).
     */
    protected Duration settleBeforeIdle() {
        return Duration.ZERO;
    }

    /** The backend's name in the printed figures. */
    protected String name() {
        return getClass().getSimpleName();
    }

    @Test
    void anIdleMinuteSendsNoRequest() throws Exception {
        try (LoopbackServer server = startServer(dir.resolve("server"));
                TcpFaultProxy proxy = new TcpFaultProxy(URI.create("tcp://127.0.0.1:" + server.port()), 0);
                ReplicaClient client = server.client(proxy.port())) {
            Path db = TestDb.create(dir, "app.db", 4096, 10);
            // Level 1 every 10 s so the idle minute holds six compaction boundaries and four retention checks.
            CompactionSettings settings = new CompactionSettings(List.of(Duration.ofSeconds(10)), Duration.ofHours(24), Duration.ofHours(24),
                    Duration.ofMinutes(5), true);
            FakeClock clock = new FakeClock(START);
            AtomicInteger checkpoints = new AtomicInteger();
            ReplicationEvents events = new ReplicationEvents() {
                @Override
                public void checkpointed(Path path, String mode, long nanos, boolean ok) {
                    checkpoints.incrementAndGet();
                }
            };
            DatabaseReplicator r = DatabaseReplicator.start(db, DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(100)),
                    List.of(new DatabaseReplicator.Destination(client, Duration.ZERO)), null, clock, events);
            // The replicator's own maintainer, on the same (caching) client, driven by the fake clock.
            ReplicaMaintainer maintainer = new ReplicaMaintainer(new ReplicaCompactor(r.destinations().getFirst().client(), dir.resolve("tmp")),
                    settings, clock);
            // The application keeps a connection open through the idle minute, as a pool does. If
            // it closed its last one, ours would be the last when the quiet database lets go of its
            // connections, and SQLite itself would checkpoint the WAL at that close, leaving no
            // time-based checkpoint of ours to fall in the minute (ReleasedConnectionsTest covers
            // that path).
            try (Connection c = TestDb.open(db)) {
                for (int i = 0; i < 20; i++) {
                    TestDb.insert(c, 3, 200);
                }
                r.syncOnce(); // every commit of the burst is in a local file now
                long txid = r.database().txid();
                for (int i = 0; i < 600 && Long.compareUnsigned(r.replicaPositions().getFirst(), txid) < 0; i++) {
                    Thread.sleep(100);
                }
                assertThat(r.replicaPositions().getFirst()).as("burst uploaded within 60 s").isEqualTo(txid);
                // 20 s: two level-1 compactions and a retention check over the burst.
                runFor(Duration.ofSeconds(20), clock, maintainer);
                try (ReplicaClient check = server.client()) {
                    assertThat(check.listFiles(1, 0)).as("level 1 covers the burst").isNotEmpty()
                            .last().extracting(LtxFileInfo::maxTxid).isEqualTo(txid);
                }
                assertThat(checkpoints).as("no checkpoint yet: the time-based one falls in the idle minute").hasValue(0);

                Thread.sleep(settleBeforeIdle());
                long bytesBefore = proxy.bytesFromClients();
                assertThat(bytesBefore).as("the burst's uploads went through the counting proxy").isPositive();
                long connectionsBefore = proxy.connections();
                runFor(Duration.ofSeconds(60), clock, maintainer);
                for (int i = 0; i < 300 && checkpoints.get() == 0; i++) {
                    Thread.sleep(100); // the sync loop looks at the fake time at least once a second
                }
                assertThat(checkpoints).as("the time-based checkpoint ran in the idle minute").hasValue(1);
                // A request would start right after the checkpoint wakes the uploader: give it that long.
                Thread.sleep(500);
                long bytes = proxy.bytesFromClients() - bytesBefore;
                long connections = proxy.connections() - connectionsBefore;
                System.out.printf("%s: %d bytes sent to the server, %d connections opened during an idle minute (%d bytes for the burst before it)%n",
                        name(), bytes, connections, bytesBefore);
                assertThat(bytes).as("bytes sent while idle").isZero();
                assertThat(connections).as("connections opened while idle").isZero();
                assertThat(r.database().txid()).as("nothing written since the burst").isEqualTo(txid);
            } finally {
                maintainer.close();
                r.stop(Duration.ofSeconds(30));
                r.close();
            }
        }
    }

    /** Moves the fake clock a second at a time, running what falls due, with a little real time for the sync loop to look. */
    private static void runFor(Duration span, FakeClock clock, ReplicaMaintainer maintainer) throws InterruptedException {
        for (long s = 0; s < span.toSeconds(); s++) {
            clock.advance(Duration.ofSeconds(1));
            maintainer.runDue(clock.instant());
            Thread.sleep(20);
        }
    }
}
