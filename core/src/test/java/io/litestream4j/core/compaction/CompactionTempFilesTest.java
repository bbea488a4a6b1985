package io.litestream4j.core.compaction;

import io.litestream4j.CompactionSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.DatabaseOptions;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.TestDb;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.ForwardingClient;
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
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code <meta>/tmp} holds compaction work only while a compaction runs: nothing stays after it, or after a kill. */
class CompactionTempFilesTest {
    @TempDir
    Path dir;

    private static List<Path> contents(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(folder)) {
            return s.filter(p -> !p.equals(folder)).toList();
        }
    }

    @Test
    @Timeout(60)
    void filesLeftByAKilledCompactionAreRemovedAtStart() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 50);
        Path tmp = dir.resolve(".app.db-litestream").resolve("tmp");
        // What a kill -9 during a snapshot's merge leaves: the output, and a folder of partial merges.
        Files.createDirectories(tmp.resolve("compact-123"));
        Files.write(tmp.resolve("compact-456.ltx"), new byte[1 << 20]);
        Files.write(tmp.resolve("compact-123").resolve("partial-1.ltx"), new byte[1 << 16]);
        DatabaseReplicator r = DatabaseReplicator.start(db, DatabaseOptions.defaults(),
                List.of(new DatabaseReplicator.Destination(new FileReplicaClient(dir.resolve("replica")), Duration.ZERO)),
                CompactionSettings.defaults(), Clock.systemUTC());
        try {
            assertThat(contents(tmp)).as("leftovers in %s after start", tmp).isEmpty();
        } finally {
            r.close();
        }
    }

    @Test
    @Timeout(60)
    void nothingStaysAfterACompactionThatSucceededOrFailed() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 50);
        Path replica = dir.resolve("replica");
        DatabaseReplicator r = DatabaseReplicator.start(db, DatabaseOptions.defaults(),
                List.of(new DatabaseReplicator.Destination(new FileReplicaClient(replica), Duration.ZERO)), Clock.systemUTC());
        try (Connection c = TestDb.open(db)) {
            TestDb.insert(c, 100, 500);
            r.syncOnce();
            r.stop(Duration.ofSeconds(30));
        } finally {
            r.close();
        }
        Path tmp = dir.resolve("tmp");
        try (FileReplicaClient files = new FileReplicaClient(replica)) {
            ForwardingClient failingUpload = new ForwardingClient(files) {
                @Override
                public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
                    data.readNBytes(100);
                    throw new IOException("put: InternalError (HTTP 500)");
                }
            };
            assertThatThrownBy(() -> new ReplicaCompactor(failingUpload, tmp).snapshot()).hasMessageContaining("HTTP 500");
            assertThat(contents(tmp)).as("left in %s after a failed snapshot", tmp).isEmpty();

            assertThat(new ReplicaCompactor(new ForwardingClient(files), tmp).snapshot()).isPresent();
            assertThat(new ReplicaCompactor(files, tmp).compact(1)).isPresent();
            assertThat(contents(tmp)).as("left in %s after a snapshot and a compaction", tmp).isEmpty();
        }
    }
}
