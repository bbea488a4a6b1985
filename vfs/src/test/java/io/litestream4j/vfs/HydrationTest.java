package io.litestream4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.Replicator;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.ForwardingReplicaClient;
import io.litestream4j.core.replica.RangedReads;
import io.litestream4j.core.replica.ReplicaReads;
import io.litestream4j.core.restore.FollowTxidFile;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hydration: the VFS copies the followed state into a local file while a writer writes and readers
 * read; the file then equals the replica's state (integrity_check and content, opened by SQLite on
 * its own) with its TXID file naming it, and reads come from it. A VFS stopped mid-copy leaves no
 * TXID file, and the next one copies again; one stopped when whole resumes from its TXID file.
 */
class HydrationTest {
    @TempDir
    Path dir;

    /** Count, bytes and a content sum of t, and meta's counter: equal only if every row is. */
    private static String content(Connection c) throws SQLException {
        return Sql.row(c, "SELECT count(*), sum(length(v)), sum(id * unicode(hex(substr(v, 5, 1)))), (SELECT n FROM meta) FROM t");
    }

    /** The hydration file opened by SQLite alone (read-only, no VFS of ours): its integrity check and content. */
    private static String onItsOwn(Path file) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + file + "?mode=ro")) {
            return Sql.integrity(c) + " " + content(c);
        }
    }

    /** Tables t (rows of random bytes) and meta (the row count), in WAL mode. */
    private static void create(Statement st, int rows, int bytes) throws SQLException {
        st.execute("PRAGMA journal_mode=wal");
        st.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB NOT NULL)");
        st.execute("CREATE TABLE meta(n INTEGER NOT NULL)");
        st.execute("INSERT INTO meta VALUES (" + rows + ")");
        st.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) INSERT INTO t(v) SELECT randomblob(%d) FROM n"
                .formatted(rows, bytes));
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); // wide: a shared, busy 2-core machine
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(done.getAsBoolean()).as(what).isTrue();
    }

    /** A file replica whose ranged reads of 256 KiB or more (hydration's runs of pages) each take a permit: the test decides how far a copy gets. */
    static final class Gated extends ForwardingReplicaClient implements RangedReads {
        final Semaphore permits = new Semaphore(1);

        Gated(Path replica) {
            super(new FileReplicaClient(replica));
        }

        @Override
        public InputStream open(int level, TxidRange range, long offset, long length) throws IOException {
            if (length >= 256 << 10) {
                try {
                    permits.acquire();
                } catch (InterruptedException e) {
                    throw new InterruptedIOException("gated read of " + range.fileName());
                }
            }
            return ReplicaReads.open(delegate, level, range, offset, length);
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void theHydratedFileFollowsTheReplicaAndServesReads() throws Exception {
        Path db = dir.resolve("app.db");
        Path replica = dir.resolve("replica");
        Path hydrated = dir.resolve("local/hydrated.db");
        Files.createDirectories(hydrated.getParent());
        VfsOptions options = VfsOptions.defaults().withPollInterval(Duration.ofMillis(200));
        try (Connection w = DriverManager.getConnection("jdbc:sqlite:" + db);
                Replicator r = Replicator.builder(db).replica(replica.toString()).syncInterval(Duration.ofMillis(100)).start();
                Statement st = w.createStatement()) {
            create(st, 3000, 1000); // about 3 MiB of random bytes: a copy takes several runs of 256 pages
            r.sync();
            r.awaitReplicated(Duration.ofSeconds(30));

            // 1. Stopped mid-copy: one run of pages written, the next held back; then the VFS closes.
            Gated gated = new Gated(replica);
            try (LitestreamVfs vfs = LitestreamVfs.register("hydrate-stop-" + System.nanoTime(), gated, options.withHydrationFile(hydrated))) {
                await("the first run of pages copied", () -> sizeOf(hydrated) > 0 && gated.permits.availablePermits() == 0);
                assertThat(vfs.hydratedTxid()).isZero();
            }
            assertThat(FollowTxidFile.of(hydrated)).as("no TXID file for a partial copy").doesNotExist();
            long partial = sizeOf(hydrated);
            System.out.printf("hydration stopped mid-copy: %d bytes of the file written, no TXID file%n", partial);

            // 1b. The same in a JVM killed with SIGKILL mid-copy: no TXID file either.
            Path killed = dir.resolve("local/killed.db");
            Path childLog = dir.resolve("child.log");
            Process child = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), HydrationKillChild.class.getName(), replica.toString(), killed.toString())
                    .redirectErrorStream(true).redirectOutput(childLog.toFile()).start();
            try {
                await("the child JVM copied its first run of pages", () -> sizeOf(killed) >= 256L * 4096 && readable(childLog).contains("HYDRATING"));
            } finally {
                child.destroyForcibly(); // SIGKILL
                child.waitFor(30, TimeUnit.SECONDS);
            }
            assertThat(FollowTxidFile.of(killed)).as("no TXID file after a kill mid-copy").doesNotExist();
            System.out.printf("hydration killed mid-copy: %d bytes of the file written, no TXID file%n", sizeOf(killed));
            try (LitestreamVfs vfs = LitestreamVfs.register("hydrate-after-kill-" + System.nanoTime(), replica.toString(), options.withHydrationFile(killed))) {
                long now = r.awaitReplicated(Duration.ofSeconds(30));
                await("hydrated after the kill", () -> vfs.hydratedTxid() == now);
                assertThat(onItsOwn(killed)).isEqualTo("ok " + content(w));
            }

            // 2. A new VFS copies again (nothing of the partial file trusted) while a writer writes and readers read.
            long txid;
            try (LitestreamVfs vfs = LitestreamVfs.register("hydrate-" + System.nanoTime(), replica.toString(), options.withHydrationFile(hydrated))) {
                AtomicBoolean stop = new AtomicBoolean();
                ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
                Thread reader = Thread.ofPlatform().start(() -> {
                    try (Connection c = DriverManager.getConnection(vfs.jdbcUrl()); Statement rs = c.createStatement()) {
                        while (!stop.get()) {
                            rs.execute("BEGIN");
                            String[] parts = content(c).split("/");
                            rs.execute("COMMIT");
                            if (!parts[0].equals(parts[3])) {
                                problems.add("rows " + parts[0] + ", meta " + parts[3]);
                            }
                            Thread.sleep(5);
                        }
                    } catch (Throwable t) {
                        problems.add(t.toString());
                    }
                });
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
                int n = 3000;
                while (System.nanoTime() < end) {
                    w.setAutoCommit(false);
                    st.execute("INSERT INTO t(v) SELECT randomblob(200 + abs(random() % 800))");
                    st.execute("UPDATE t SET v = randomblob(300) WHERE id = " + (1 + (n * 7919) % 3000));
                    st.execute("UPDATE meta SET n = " + ++n);
                    w.commit();
                    w.setAutoCommit(true);
                    Thread.sleep(10);
                }
                txid = r.awaitReplicated(Duration.ofSeconds(30));
                await("hydrated to TXID " + txid, () -> vfs.hydratedTxid() == txid);
                stop.set(true);
                reader.join(30_000);
                assertThat(problems).as("read transactions that saw no whole state").isEmpty();
                assertThat(FollowTxidFile.read(hydrated)).isEqualTo(OptionalLong.of(txid));
                assertThat(onItsOwn(hydrated)).isEqualTo("ok " + content(w));
                // Reads now come from the local file.
                long before = vfs.hydratedReads();
                try (Connection c = DriverManager.getConnection(vfs.jdbcUrl())) {
                    assertThat(content(c)).isEqualTo(content(w));
                }
                System.out.printf("hydrated to TXID %x with %d transactions written meanwhile; %d page reads from the local file, %d cache misses, "
                        + "%d bytes fetched%n", txid, n - 3000, vfs.hydratedReads(), vfs.cacheMisses(), vfs.bytesFetched());
                assertThat(vfs.hydratedReads()).as("page reads served by the hydration file").isGreaterThan(before);
                assertThat(vfs.lastError()).isNull();
            }

            // 3. Stopped whole: the next VFS resumes from the TXID file (it copies only the few pages
            // of the write made meanwhile, not the 3 MiB again) and follows.
            st.execute("INSERT INTO t(v) VALUES (randomblob(100))");
            st.execute("UPDATE meta SET n = (SELECT count(*) FROM t)");
            long later = r.awaitReplicated(Duration.ofSeconds(30));
            try (LitestreamVfs vfs = LitestreamVfs.register("hydrate-resume-" + System.nanoTime(), replica.toString(), options.withHydrationFile(hydrated))) {
                await("hydrated to TXID " + later, () -> vfs.hydratedTxid() == later);
                assertThat(onItsOwn(hydrated)).isEqualTo("ok " + content(w));
                System.out.printf("hydration resumed from its TXID file: %d pages copied%n", vfs.hydratedPagesCopied());
                assertThat(vfs.hydratedPagesCopied()).as("pages copied after resuming").isBetween(1L, 20L);
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theHydrateUriParameterStartsHydrationIntoOneFile() throws Exception {
        Path db = dir.resolve("app.db");
        Path replica = dir.resolve("replica");
        Path hydrated = dir.resolve("by-uri.db");
        try (Connection w = DriverManager.getConnection("jdbc:sqlite:" + db);
                Replicator r = Replicator.builder(db).replica(replica.toString()).start();
                Statement st = w.createStatement()) {
            create(st, 200, 500);
            r.sync();
            long txid = r.awaitReplicated(Duration.ofSeconds(30));
            try (LitestreamVfs vfs = LitestreamVfs.register("hydrate-uri-" + System.nanoTime(), replica.toString(),
                    VfsOptions.defaults().withPollInterval(Duration.ofMillis(200)))) {
                assertThat(vfs.hydratedTxid()).isZero();
                try (Connection c = DriverManager.getConnection(vfs.jdbcUrl() + "&hydrate=" + hydrated)) {
                    assertThat(content(c)).isEqualTo(content(w));
                }
                await("hydrated by the URI parameter", () -> vfs.hydratedTxid() == txid);
                assertThat(onItsOwn(hydrated)).isEqualTo("ok " + content(w));
                // One file per VFS: another one is refused at open, naming both.
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> DriverManager.getConnection(vfs.jdbcUrl() + "&hydrate=" + dir.resolve("other.db")).close())
                        .isInstanceOf(SQLException.class);
                assertThat(vfs.lastError()).contains("other.db").contains("by-uri.db");
            }
        }
    }

    private static String readable(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
