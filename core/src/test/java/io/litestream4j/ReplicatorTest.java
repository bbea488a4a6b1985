package io.litestream4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.LiveThreads;
import io.litestream4j.core.LogCapture;
import io.litestream4j.core.ReplicaFailedException;
import io.litestream4j.core.ReplicationTimeoutException;
import io.litestream4j.core.TestDb;
import io.litestream4j.core.replica.FaultInjectingClient;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.ForwardingClient;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClientFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The library's entry point, on real databases written by real concurrent connections. */
@Timeout(300) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class ReplicatorTest {
    @TempDir
    Path dir;

    /** A client that counts its closes (the replicator must close only the clients it opened). */
    static final class ClosingCounted extends ForwardingClient {
        final AtomicInteger closes = new AtomicInteger();

        ClosingCounted(ReplicaClient delegate) {
            super(delegate);
        }

        @Override
        public void close() throws IOException {
            closes.incrementAndGet();
            super.close();
        }
    }

    /** Serves {@code counted:///path} as a file replica and remembers every client it made. */
    static class CountingFactory implements ReplicaClientFactory {
        final List<ClosingCounted> made = new ArrayList<>();

        @Override
        public Set<String> schemes() {
            return Set.of("counted");
        }

        @Override
        public ReplicaClient create(URI url) {
            ClosingCounted c = new ClosingCounted(new FileReplicaClient(Path.of(url.getPath())));
            made.add(c);
            return c;
        }
    }

    private Replicator.Builder builder(Path db, CountingFactory factory) {
        return Replicator.builder(db).factoryLookup(scheme -> scheme.equals("counted") ? factory : null);
    }

    @Test
    void awaitReplicatedReturnsOnlyOnceEveryReplicaHoldsEveryCommitMadeBeforeTheCall() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 0);
        try (Connection c = TestDb.open(db)) {
            TestDb.exec(c, "CREATE TABLE w (writer INTEGER, n INTEGER)");
        }
        Path first = dir.resolve("first");
        Path second = dir.resolve("second");
        int writers = 3;
        AtomicLongArray committed = new AtomicLongArray(writers);
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (Replicator replicator = Replicator.builder(db).replica(first.toString()).replica("file://" + second).start()) {
            for (int w = 0; w < writers; w++) {
                int writer = w;
                threads.add(Thread.ofPlatform().name("writer " + w).start(() -> {
                    try (Connection c = TestDb.open(db); PreparedStatement ps = c.prepareStatement("INSERT INTO w VALUES (?, ?)")) {
                        for (long n = 1; !stop.get(); n++) {
                            ps.setInt(1, writer);
                            ps.setLong(2, n);
                            ps.executeUpdate(); // auto-commit: one transaction per row
                            committed.set(writer, n);
                        }
                    } catch (SQLException e) {
                        failures.add(e);
                    }
                }));
            }
            for (int round = 0; round < 3; round++) {
                Thread.sleep(300);
                long[] before = new long[writers];
                for (int w = 0; w < writers; w++) {
                    before[w] = committed.get(w);
                }
                long txid = replicator.awaitReplicated(Duration.ofSeconds(60));
                assertThat(replicator.status().replicas()).allSatisfy(s -> assertThat(s.txid()).isGreaterThanOrEqualTo(txid));
                for (Path replica : List.of(first, second)) {
                    Path restored = dir.resolve("round-" + round + "-" + replica.getFileName() + ".db");
                    // The newest state: TXID txid itself may be inside a file the uploader merged with later ones.
                    Restore.Result r = Restore.from(replica.toString()).into(restored);
                    assertThat(r.txid()).isGreaterThanOrEqualTo(txid);
                    assertThat(r.checksumVerified()).isTrue();
                    try (Connection c = TestDb.open(restored)) {
                        for (int w = 0; w < writers; w++) {
                            assertThat(TestDb.queryLong(c, "SELECT coalesce(max(n), 0) FROM w WHERE writer = " + w))
                                    .as("writer %d's commits before awaitReplicated, on %s at TXID %d", w, replica, txid)
                                    .isGreaterThanOrEqualTo(before[w]);
                        }
                    }
                }
            }
            stop.set(true);
            for (Thread t : threads) {
                t.join(60_000);
            }
        }
        assertThat(failures).as("no writer saw an error (SQLITE_BUSY...)").isEmpty();
        assertThat(committed.get(0)).isPositive();
        // close() synced a last time and waited: the newest state is on both replicas.
        for (Path replica : List.of(first, second)) {
            Path restored = dir.resolve("final-" + replica.getFileName() + ".db");
            Restore.from(replica.toString()).into(restored);
            assertThat(TestDb.digest(restored)).isEqualTo(TestDb.digest(db));
        }
    }

    @Test
    void aReplicaFailingWhileWaitedForFailsAwaitReplicatedNamingItAndTheCause() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        FaultInjectingClient store = new FaultInjectingClient(new FileReplicaClient(dir.resolve("replica")));
        try (Replicator replicator = Replicator.builder(db).replica(store).syncInterval(Duration.ZERO).start();
                Connection c = TestDb.open(db)) {
            store.mode(FaultInjectingClient.Mode.SERVER_ERRORS);
            TestDb.insert(c, 10, 100);
            assertThatThrownBy(() -> replicator.awaitReplicated(Duration.ofSeconds(60)))
                    .isInstanceOf(ReplicaFailedException.class)
                    .hasMessageContaining(store.location())
                    .hasMessageContaining("InternalError (HTTP 500)")
                    .satisfies(e -> assertThat(((ReplicaFailedException) e).replica()).isEqualTo(store.location()));
            assertThat(replicator.status().replicas().getFirst().lastError()).contains("upload");

            store.mode(FaultInjectingClient.Mode.NONE); // retried in the background meanwhile
            long txid = replicator.awaitReplicated(Duration.ofSeconds(60));
            assertThat(replicator.status().replicas().getFirst().txid()).isGreaterThanOrEqualTo(txid);
        }
        assertThat(TestDb.digest(restore(dir.resolve("replica")))).isEqualTo(TestDb.digest(db));
    }

    @Test
    void awaitReplicatedDoesNotWaitOutALongSyncInterval() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        try (Replicator replicator = Replicator.builder(db).replica(dir.resolve("replica").toString()).syncInterval(Duration.ofHours(1)).start();
                Connection c = TestDb.open(db)) {
            replicator.awaitReplicated(Duration.ofSeconds(60)); // the first upload, which the interval never delays
            for (int round = 0; round < 3; round++) {
                TestDb.insert(c, 10, 100);
                long txid = replicator.awaitReplicated(Duration.ofSeconds(60)); // an hour's spacing would time this out
                assertThat(replicator.status().replicas().getFirst().txid()).isGreaterThanOrEqualTo(txid);
            }
            assertThat(TestDb.digest(restore(dir.resolve("replica")))).isEqualTo(TestDb.digest(db));
        }
    }

    @Test
    void aReplicaTooSlowForTheTimeoutIsNamedWithWhatItHolds() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        FaultInjectingClient store = new FaultInjectingClient(new FileReplicaClient(dir.resolve("replica")));
        try (Replicator replicator = Replicator.builder(db).replica(store).syncInterval(Duration.ZERO).start();
                Connection c = TestDb.open(db)) {
            long started = replicator.status().replicas().getFirst().txid();
            store.slowness(Duration.ofSeconds(3));
            store.mode(FaultInjectingClient.Mode.SLOW);
            TestDb.insert(c, 10, 100);
            assertThatThrownBy(() -> replicator.awaitReplicated(Duration.ofMillis(200)))
                    .isInstanceOf(ReplicationTimeoutException.class)
                    .hasMessageContaining(store.location() + " holds " + io.litestream4j.ltx.Txid.format(started))
                    .satisfies(e -> assertThat(((ReplicationTimeoutException) e).behind()).hasSize(1));
            store.mode(FaultInjectingClient.Mode.NONE);
        }
        // close() waited for the slow upload: nothing was lost.
        assertThat(TestDb.digest(restore(dir.resolve("replica")))).isEqualTo(TestDb.digest(db));
    }

    @Test
    void closeLeavesNoThreadAndClosesOnlyTheClientsItOpened() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        long watchersBefore = LiveThreads.count("wal watcher");
        long jdkWatchersBefore = LiveThreads.count("FileSystemWatchService");
        CountingFactory factory = new CountingFactory();
        ClosingCounted mine = new ClosingCounted(new FileReplicaClient(dir.resolve("mine")));
        Replicator replicator = builder(db, factory).replica("counted://" + dir.resolve("opened")).replica(mine).start();
        try (Connection c = TestDb.open(db)) {
            TestDb.insert(c, 100, 100);
        }
        replicator.awaitReplicated(Duration.ofSeconds(60));
        assertThat(LiveThreads.named(dir.toString())).as("the replication's threads, while it runs").isNotEmpty();
        assertThat(LiveThreads.count("wal watcher")).isEqualTo(1);
        replicator.close();

        assertThat(LiveThreads.named(dir.toString())).as("threads left after close").isEmpty();
        assertThat(LiveThreads.count("wal watcher")).as("the watcher ends with its last database").isEqualTo(watchersBefore);
        assertThat(LiveThreads.count("FileSystemWatchService")).isEqualTo(jdkWatchersBefore);
        assertThat(factory.made).hasSize(1);
        assertThat(factory.made.getFirst().closes).as("the client opened from its URL").hasValue(1);
        assertThat(mine.closes).as("the caller's client").hasValue(0);
        assertThatThrownBy(replicator::sync).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        replicator.close(); // twice: nothing more
        assertThat(factory.made.getFirst().closes).hasValue(1);
        assertThat(TestDb.digest(restore(dir.resolve("opened")))).isEqualTo(TestDb.digest(db));
    }

    @Test
    void aStartFailingHalfWayClosesTheClientsItOpenedAndLeavesNoThread() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        long watchersBefore = LiveThreads.count("wal watcher");
        CountingFactory factory = new CountingFactory();

        // The second replica cannot be written: the first upload fails the start.
        FaultInjectingClient unwritable = new FaultInjectingClient(new FileReplicaClient(dir.resolve("unwritable")));
        unwritable.mode(FaultInjectingClient.Mode.PERMISSION_DENIED);
        assertThatThrownBy(() -> builder(db, factory).replica("counted://" + dir.resolve("a")).replica(unwritable).start())
                .isInstanceOf(IOException.class).hasMessageContaining(unwritable.location());
        // An unknown scheme, after a replica was opened.
        assertThatThrownBy(() -> builder(db, factory).replica("counted://" + dir.resolve("b")).replica("nosuch://bucket/x").start())
                .isInstanceOf(IOException.class).hasMessageContaining("unknown scheme \"nosuch\"");
        // A missing database: the error says how to make one.
        assertThatThrownBy(() -> builder(dir.resolve("missing.db"), factory).replica("counted://" + dir.resolve("c")).start())
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("missing.db").hasMessageContaining("Restore.from");

        assertThat(factory.made).hasSize(3).allSatisfy(c -> assertThat(c.closes).hasValue(1));
        assertThat(LiveThreads.named(dir.toString())).as("threads left after failed starts").isEmpty();
        assertThat(LiveThreads.count("wal watcher")).isEqualTo(watchersBefore);
        assertThatThrownBy(() -> Replicator.builder(db).start()).isInstanceOf(IllegalStateException.class).hasMessageContaining("no replica");
    }

    @Test
    void aSecondReplicatorOfTheSameReplicaIsRefusedNamingTheHolderUntilTheFirstCloses() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path other = TestDb.create(dir, "other.db", 4096, 10);
        String replica = dir.resolve("replica").toString();
        try (Replicator first = Replicator.builder(db).replica(replica).start()) {
            assertThat(dir.resolve("replica/lock.json")).as("the lease Litestream keeps").exists();
            assertThatThrownBy(() -> Replicator.builder(other).replica(replica).start().close())
                    .hasMessageContaining("lock.json").hasMessageContaining("held by");
            assertThat(first.status().replicas()).allSatisfy(s -> assertThat(s.lastError()).isNull());
        }
        assertThat(dir.resolve("replica/lock.json")).as("released on close").doesNotExist();
        try (Replicator second = Replicator.builder(db).replica(replica).start()) {
            assertThat(second.sync()).isPositive();
        }
    }

    @Test
    void syncHandsCommitsToTheReplicasAndStatusShowsThem() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        try (Replicator replicator = Replicator.builder(db).replica(dir.resolve("replica").toString()).syncInterval(Duration.ZERO).start();
                Connection c = TestDb.open(db)) {
            long before = replicator.status().txid();
            TestDb.insert(c, 10, 100);
            long txid = replicator.sync();
            assertThat(txid).isGreaterThan(before);
            Replicator.Status status = replicator.status();
            assertThat(status.database()).isEqualTo(db);
            assertThat(status.txid()).isGreaterThanOrEqualTo(txid);
            assertThat(status.lastError()).isNull();
            assertThat(status.replicas()).singleElement().satisfies(s -> {
                assertThat(s.type()).isEqualTo("file");
                assertThat(s.lastError()).isNull();
            });
        }
    }

    @Test
    void aClientThatFailsToCloseIsLoggedNeverDropped() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        ReplicaClientFactory failingClose = new CountingFactory() {
            @Override
            public ReplicaClient create(URI url) {
                return new ForwardingClient(new FileReplicaClient(Path.of(url.getPath()))) {
                    @Override
                    public void close() throws IOException {
                        throw new IOException("close: connection pool still busy");
                    }
                };
            }
        };
        try (LogCapture log = new LogCapture(Replicator.class.getName())) {
            Replicator replicator = Replicator.builder(db).factoryLookup(scheme -> failingClose).replica("counted://" + dir.resolve("replica")).start();
            replicator.close();
            assertThat(log.messages()).anySatisfy(m -> assertThat(m).startsWith("WARNING").contains("closing replica file://" + dir.resolve("replica"))
                    .contains("connection pool still busy"));
        }
    }

    private Path restore(Path replica) throws IOException {
        Path out = dir.resolve("restored-" + replica.getFileName() + ".db");
        Restore.from(replica.toString()).integrityCheck(Restore.IntegrityCheck.FULL).into(out);
        return out;
    }
}
