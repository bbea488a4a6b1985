package io.litestream4j.core;

import io.litestream4j.DatabaseOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.ForwardingClient;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replicator dies at its Nth request to the replica, for every N over a workload, either
 * before the request reaches the store or just after the store has it: a restore then gives the
 * database as of a prefix of the committed transactions (never a corrupt or mixed one), and a
 * restarted replicator brings the replica to the last commit.
 *
 * <p>"Dying" is what a kill leaves: the client fails every request from the Nth on, and the
 * replicator is closed without a final sync or upload. Short form: 6 transactions; soak
 * ({@code -Dsoak=true}): 40.
 */
@Timeout(7200)
class CrashAnywhereTest {
    @TempDir
    Path dir;

    /** Fails every write and delete from the {@code crashAt}th on; with {@code afterStore}, the {@code crashAt}th reaches the store first. */
    private static final class DyingClient extends ForwardingClient {
        final int crashAt;
        final boolean afterStore;
        final AtomicInteger requests = new AtomicInteger();
        final AtomicBoolean dead = new AtomicBoolean();

        DyingClient(ReplicaClient delegate, int crashAt, boolean afterStore) {
            super(delegate);
            this.crashAt = crashAt;
            this.afterStore = afterStore;
        }

        private void before() throws IOException {
            if (dead.get()) {
                throw new IOException("the process is dead");
            }
            if (requests.incrementAndGet() == crashAt && !afterStore) {
                dead.set(true);
                throw new IOException("killed before request " + crashAt + " reached the store");
            }
        }

        private void after() throws IOException {
            if (requests.get() == crashAt && afterStore) {
                dead.set(true);
                throw new IOException("killed after request " + crashAt + " reached the store");
            }
        }

        @Override
        public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
            before();
            LtxFileInfo info = super.write(level, range, data, size, createdAt);
            after();
            return info;
        }

        @Override
        public void delete(int level, TxidRange range) throws IOException {
            before();
            super.delete(level, range);
            after();
        }
    }

    private static DatabaseReplicator start(Path db, ReplicaClient client) throws IOException {
        return DatabaseReplicator.start(db, DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(50)),
                List.of(new DatabaseReplicator.Destination(client, Duration.ZERO)), Clock.systemUTC());
    }

    /** The digest of the restored replica, or null when it holds nothing yet. */
    private String restoredDigest(Path replica, String name) throws Exception {
        Path out = dir.resolve(name);
        try (FileReplicaClient client = new FileReplicaClient(replica)) {
            if (RestorePlanner.listAll(client).isEmpty()) {
                return null;
            }
            Restorer.restore(client, RestorePlanner.plan(client, OptionalLong.empty()),
                    new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.FULL, true));
        }
        String digest;
        try (Connection c = TestDb.open(out)) {
            digest = workload(c);
        }
        Files.delete(out);
        return digest;
    }

    /** The workload's table as text (the replicator's own tables, created at its start, left out). */
    private static String workload(Connection c) throws Exception {
        try (var st = c.createStatement(); var rs = st.executeQuery("SELECT count(*), group_concat(id || ':' || hex(v), ',') FROM (SELECT * FROM t ORDER BY id)")) {
            rs.next();
            return rs.getLong(1) + " rows, " + Integer.toHexString(rs.getString(2).hashCode()) + "/" + rs.getString(2).length();
        }
    }

    /** One run: the workload with a crash at request {@code crashAt}; returns whether the crash happened. */
    private boolean run(int transactions, int crashAt, boolean afterStore, Path runDir) throws Exception {
        Files.createDirectories(runDir);
        Path db = TestDb.create(runDir, "app.db", 4096, 5);
        Path replica = runDir.resolve("replica");
        List<String> states = new ArrayList<>(); // the database after 0, 1, 2... workload transactions
        DyingClient client = new DyingClient(new FileReplicaClient(replica), crashAt, afterStore);
        try (Connection c = TestDb.open(db)) {
            states.add(workload(c));
            DatabaseReplicator r = null;
            try {
                r = start(db, client);
                for (int i = 0; i < transactions && !client.dead.get(); i++) {
                    TestDb.exec(c, "BEGIN", "INSERT INTO t (v) VALUES (randomblob(300))", "UPDATE t SET v = randomblob(50) WHERE id = " + (1 + i % 5),
                            "COMMIT");
                    states.add(workload(c));
                    r.syncOnce();
                    awaitUploaded(r, client);
                }
                if (!client.dead.get()) {
                    r.stop(Duration.ofSeconds(30));
                }
            } catch (IOException startFailed) {
                assertThat(client.dead).as("a start fails only by the crash: %s", startFailed).isTrue();
            } finally {
                if (r != null) {
                    r.close(); // a kill: no final sync, uploads cut off
                }
            }
            String afterCrash = restoredDigest(replica, "after-crash.db");
            if (afterCrash != null) {
                assertThat(states).as("crash at request %d (%s the store): the replica restores a committed state", crashAt,
                        afterStore ? "after" : "before").contains(afterCrash);
            }
            DatabaseReplicator again = start(db, new FileReplicaClient(replica));
            assertThat(again.stop(Duration.ofSeconds(60))).as("caught up after the restart").isTrue();
            again.close();
            assertThat(restoredDigest(replica, "after-restart.db")).as("crash at request %d: after the restart the replica has the last commit",
                    crashAt).isEqualTo(workload(c));
        }
        return client.dead.get();
    }

    /**
     * Waits until the replica holds what was just synced, the crash came, or 5 s passed: each
     * transaction is then an upload of its own, and a crash point of its own. With a fixed 5 ms
     * pause the uploader merged what waited on a loaded machine (load 24: 11 crash points where
     * the test asks for 12).
     */
    private static void awaitUploaded(DatabaseReplicator r, DyingClient client) throws InterruptedException {
        long want = r.database().txid();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!client.dead.get() && Long.compareUnsigned(r.replicaPositions().getFirst(), want) < 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    @Test
    void aCrashAtAnyRequestLosesNothingCommittedAndNeverCorrupts() throws Exception {
        int transactions = Soak.pick(6, 40);
        int crashes = 0;
        int runs = 0;
        for (boolean afterStore : new boolean[] {false, true}) {
            // Requests per run vary with timing (uploads merge what waited); go on until a run ends without reaching N.
            for (int n = 1;; n++) {
                runs++;
                boolean crashed = run(transactions, n, afterStore, dir.resolve((afterStore ? "after-" : "before-") + n));
                if (!crashed) {
                    break;
                }
                crashes++;
            }
        }
        System.out.printf("CrashAnywhereTest: %d runs of %d transactions, %d crashes (before and after each request), 0 lost or corrupt%n",
                runs, transactions, crashes);
        assertThat(crashes).as("crashes tried").isGreaterThanOrEqualTo(2 * transactions);
    }
}
