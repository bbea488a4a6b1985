package io.litestream4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.Replicator;
import io.litestream4j.core.replica.AgeKeys;
import io.litestream4j.core.replica.AgeReplicaClient;
import io.litestream4j.core.replica.AgeTestKeys;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.ltx.LtxFileInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An age-encrypted replica (our replicator with recipients and identities) read through the VFS
 * with the identities file given at registration: the same decryption as {@code restore}. The
 * snapshot is above the size fetched whole (it is downloaded, decrypted and verified), the L0
 * files below it; the VFS follows new writes; a wrong key fails the registration with an error
 * naming the file and no key.
 */
class AgeReplicaVfsTest {
    @TempDir
    Path dir;

    /** Row count, byte count, a content sum and the top id: equal only if every row is. */
    private static String content(Connection c) throws SQLException {
        return Sql.row(c, "SELECT count(*), sum(length(v)), sum(id * unicode(hex(substr(v, 7, 1)))), max(id) FROM t");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void anEncryptedReplicaReadsAsTheSourceAndFollowsIt() throws Exception {
        Path db = dir.resolve("app.db");
        Path replica = dir.resolve("replica");
        Path identities = dir.resolve("age.key");
        Files.writeString(identities, "# the test's identity\n" + AgeTestKeys.IDENTITY + "\n");
        Path wrongKey = dir.resolve("other.key");
        Files.writeString(wrongKey, AgeTestKeys.OTHER_IDENTITY + "\n");
        AgeKeys keys = new AgeKeys(List.of(AgeTestKeys.IDENTITY), List.of(AgeTestKeys.RECIPIENT));
        try (Connection w = DriverManager.getConnection("jdbc:sqlite:" + db);
                Replicator r = Replicator.builder(db).replica(new AgeReplicaClient(new FileReplicaClient(replica), keys)).start();
                Statement st = w.createStatement()) {
            st.execute("PRAGMA journal_mode=wal");
            st.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB NOT NULL)");
            // About 1 MiB of random bytes: the snapshot is far above the 256 KiB fetched whole.
            st.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) INSERT INTO t(v) SELECT randomblob(1000) FROM n");
            r.sync();
            r.awaitReplicated(Duration.ofSeconds(30));
            // The store holds ciphertext only.
            try (FileReplicaClient raw = new FileReplicaClient(replica)) {
                LtxFileInfo first = raw.listFiles(0, 0).getFirst();
                try (var in = raw.open(0, first.range())) {
                    assertThat(new String(in.readNBytes(21), StandardCharsets.US_ASCII)).isEqualTo("age-encryption.org/v1");
                }
            }
            try (LitestreamVfs vfs = LitestreamVfs.register("age-" + System.nanoTime(), replica.toString(),
                    VfsOptions.defaults().withAgeIdentitiesFile(identities).withPollInterval(Duration.ofMillis(200)));
                    Connection c = DriverManager.getConnection(vfs.jdbcUrl())) {
                assertThat(content(c)).isEqualTo(content(w));
                assertThat(Sql.integrity(c)).isEqualTo("ok");
                // New writes, small L0 files, reach the VFS's connection.
                for (int i = 0; i < 5; i++) {
                    st.execute("INSERT INTO t(v) SELECT randomblob(100 + abs(random() % 900))");
                    st.execute("UPDATE t SET v = randomblob(50) WHERE id = " + (1 + i * 137));
                    r.sync();
                }
                long txid = r.awaitReplicated(Duration.ofSeconds(30));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); // wide: a shared, busy machine
                while (vfs.servedTxid() < txid && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(vfs.servedTxid()).as("served TXID").isEqualTo(txid);
                assertThat(content(c)).isEqualTo(content(w));
                assertThat(Sql.integrity(c)).isEqualTo("ok");
                assertThat(vfs.lastError()).isNull();
            }
        }
        // A wrong key: the registration fails naming the file and saying why; the key is never printed.
        assertThatThrownBy(() -> LitestreamVfs.register("age-wrong-" + System.nanoTime(), replica.toString(),
                VfsOptions.defaults().withAgeIdentitiesFile(wrongKey)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(".ltx")
                .hasMessageContaining("wrong key?")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(AgeTestKeys.OTHER_IDENTITY).doesNotContain(AgeTestKeys.IDENTITY))
                .satisfies(e -> System.out.println("age vfs, wrong key: " + e.getMessage()));
        // A plain registration of the encrypted replica fails too, naming the file, instead of reading ciphertext as pages.
        assertThatThrownBy(() -> LitestreamVfs.register("age-none-" + System.nanoTime(), replica.toString(), VfsOptions.defaults()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(".ltx")
                .satisfies(e -> System.out.println("age vfs, no key: " + e.getMessage()));
        // The JVM and SQLite live on: a plain connection works.
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            assertThat(Sql.integrity(c)).isEqualTo("ok");
        }
    }
}
