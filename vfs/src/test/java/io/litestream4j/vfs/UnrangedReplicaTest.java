package io.litestream4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.Replicator;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.ForwardingReplicaClient;
import io.litestream4j.core.replica.ReplicaReads;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica whose store has no server-side ranged reads (as NATS): a file replica seen through a
 * decorator that hides every capability and counts the bytes it streams. Every file is fetched
 * once, whole; before, each page not in the cache streamed its file from the start.
 */
class UnrangedReplicaTest {
    @TempDir
    Path dir;

    /** Hides {@code RangedReads} and {@code LocalFiles}; counts what {@link #open} streams. */
    private static final class Unranged extends ForwardingReplicaClient {
        final AtomicLong bytesRead = new AtomicLong();

        Unranged(Path replica) {
            super(new FileReplicaClient(replica));
        }

        @Override
        public <T> Optional<T> capability(Class<T> type) {
            return type.isInstance(this) ? Optional.of(type.cast(this)) : Optional.empty();
        }

        @Override
        public InputStream open(int level, TxidRange range) throws IOException {
            return new FilterInputStream(super.open(level, range)) {
                @Override
                public int read() throws IOException {
                    int b = super.read();
                    if (b >= 0) {
                        bytesRead.incrementAndGet();
                    }
                    return b;
                }

                @Override
                public int read(byte[] buf, int off, int len) throws IOException {
                    int n = super.read(buf, off, len);
                    if (n > 0) {
                        bytesRead.addAndGet(n);
                    }
                    return n;
                }

                @Override
                public long skip(long n) throws IOException {
                    long s = super.skip(n);
                    bytesRead.addAndGet(s); // skipped bytes cross the network too
                    return s;
                }
            };
        }
    }

    private static String scan(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*), sum(length(v)), sum(id * unicode(hex(substr(v, 1, 1)))) FROM t")) {
            rs.next();
            return rs.getLong(1) + "/" + rs.getLong(2) + "/" + rs.getLong(3);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyFileIsFetchedOnceWholeAndNotOncePerPage() throws Exception {
        Path db = dir.resolve("app.db");
        Path replica = dir.resolve("replica");
        try (Connection w = DriverManager.getConnection("jdbc:sqlite:" + db);
                Replicator r = Replicator.builder(db).replica(replica.toString()).start()) {
            try (Statement st = w.createStatement()) {
                st.execute("PRAGMA journal_mode=wal");
                st.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB NOT NULL)");
                // About 3 MiB: the snapshot is far above the size fetched whole anyway (256 KiB).
                st.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) INSERT INTO t(v) SELECT randomblob(1000) FROM n");
            }
            r.sync();
            r.awaitReplicated(Duration.ofSeconds(30));
        }
        long replicaBytes;
        try (FileReplicaClient files = new FileReplicaClient(replica)) {
            replicaBytes = 0;
            for (int level = 0; level <= LtxFileInfo.MAX_LEVEL; level++) {
                replicaBytes += files.listFiles(level, 0).stream().mapToLong(LtxFileInfo::size).sum();
            }
        }
        String expected;
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            expected = scan(c);
        }
        Unranged client = new Unranged(replica);
        assertThat(ReplicaReads.serverSide(client)).isFalse();
        // A cache far smaller than the database: pages are read from the files again and again.
        try (LitestreamVfs vfs = LitestreamVfs.register("unranged-" + System.nanoTime(), client, VfsOptions.defaults().withCacheBytes(256 << 10))) {
            try (Connection c = DriverManager.getConnection(vfs.jdbcUrl())) {
                for (int round = 0; round < 3; round++) {
                    assertThat(scan(c)).isEqualTo(expected);
                }
                try (Statement st = c.createStatement()) {
                    for (int i = 0; i < 300; i++) {
                        try (ResultSet rs = st.executeQuery("SELECT length(v) FROM t WHERE id = " + (1 + (i * 997) % 3000))) {
                            assertThat(rs.next()).isTrue();
                            assertThat(rs.getInt(1)).isEqualTo(1000);
                        }
                    }
                }
            }
            System.out.printf("unranged store: replica %d bytes, streamed %d bytes, vfs fetched %d bytes%n", replicaBytes, client.bytesRead.get(),
                    vfs.bytesFetched());
            // Each file once; reading parts by streaming from the start cost hundreds of times the replica.
            assertThat(client.bytesRead.get()).as("bytes streamed from the store").isLessThanOrEqualTo(replicaBytes);
        }
    }
}
