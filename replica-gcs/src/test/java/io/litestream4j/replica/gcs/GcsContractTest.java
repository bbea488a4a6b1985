package io.litestream4j.replica.gcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClientContract;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The replica contract on the firebase-tools Cloud Storage emulator, and what GCS adds to it:
 * Litestream's object names, content type and {@code litestream-timestamp} metadata, reading
 * objects Litestream wrote, and the errors a user meets. The large file (20 MiB) is more than one
 * chunk of a resumable upload on Google Cloud Storage.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class GcsContractTest {
    private static final String BUCKET = "contract";
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:00.123Z");
    private GcsEmulator emulator;
    private Storage admin;
    private int replicas;

    @BeforeAll
    void startEmulator() throws Exception {
        emulator = GcsEmulator.start();
        admin = emulator.admin();
    }

    @AfterAll
    void stopEmulator() throws Exception {
        if (admin != null) {
            admin.close();
        }
        if (emulator != null) {
            emulator.close();
        }
    }

    /** A folder no earlier test used: the emulator is shared by the class's tests. */
    private String freshPath() {
        return "db" + (replicas++) + "/nested";
    }

    private GcsReplicaClient client(String path) throws IOException {
        return GcsReplicaClient.open(emulator.settings(BUCKET, path));
    }

    @Nested
    class OnTheEmulator extends ReplicaClientContract {
        @Override
        protected ReplicaClient newClient() throws IOException {
            return client(freshPath());
        }

        @Override
        protected int largeFileBytes() {
            return 20 << 20; // more than one 16 MiB chunk on Google Cloud Storage
        }
    }

    @Test
    void aReplicaAtTheBucketsRootHasNoLeadingSlash() throws Exception {
        String bucket = "root-" + (replicas++);
        try (GcsReplicaClient c = GcsReplicaClient.open(emulator.settings(bucket, ""))) {
            c.write(0, new TxidRange(1, 1), new ByteArrayInputStream(new byte[7]), 7, T0);
            assertThat(admin.get(BlobId.of(bucket, "ltx/0/0000000000000001-0000000000000001.ltx"))).isNotNull();
            assertThat(c.listFiles(0, 0)).extracting(LtxFileInfo::size).containsExactly(7L);
            c.deleteAll();
            assertThat(c.listFiles(0, 0)).isEmpty();
        }
    }

    @Test
    void objectsAreNamedAndLabelledAsLitestreamWritesThem() throws Exception {
        String path = freshPath();
        byte[] small = new byte[1000];
        try (GcsReplicaClient c = client(path)) {
            c.write(0, new TxidRange(1, 1), new ByteArrayInputStream(small), small.length, T0);
            c.write(9, new TxidRange(1, 0x2a), new ByteArrayInputStream(small), small.length, Instant.parse("2026-11-29T10:00:01.120Z"));
            c.write(1, new TxidRange(1, 2), new ByteArrayInputStream(small), small.length, Instant.parse("2026-11-29T10:00:02Z"));
        }
        Blob l0 = admin.get(BlobId.of(BUCKET, path + "/ltx/0/0000000000000001-0000000000000001.ltx"));
        assertThat(l0.getMetadata()).containsExactly(Map.entry("litestream-timestamp", "2026-11-29T10:00:00.123Z"));
        assertThat(l0.getContentType()).isEqualTo("application/octet-stream");
        assertThat(l0.getSize()).isEqualTo(1000);
        // Go's RFC3339Nano drops trailing zeros, and the whole fraction of a whole second.
        assertThat(admin.get(BlobId.of(BUCKET, path + "/ltx/9/0000000000000001-000000000000002a.ltx")).getMetadata())
                .containsEntry("litestream-timestamp", "2026-11-29T10:00:01.12Z");
        assertThat(admin.get(BlobId.of(BUCKET, path + "/ltx/1/0000000000000001-0000000000000002.ltx")).getMetadata())
                .containsEntry("litestream-timestamp", "2026-11-29T10:00:02Z");
    }

    @Test
    void readsObjectsAsLitestreamWritesThem() throws Exception {
        String path = freshPath();
        // Go's RFC 3339 with nanoseconds, and an object without the metadata (its creation time counts).
        upload(BlobInfo.newBuilder(BUCKET, path + "/ltx/0/0000000000000001-0000000000000001.ltx")
                .setMetadata(Map.of("litestream-timestamp", "2026-11-24T10:00:00.123456789Z")).build(), new byte[10]);
        Instant before = Instant.now().minusSeconds(60);
        upload(BlobInfo.newBuilder(BUCKET, path + "/ltx/0/0000000000000002-0000000000000002.ltx").build(), new byte[20]);
        upload(BlobInfo.newBuilder(BUCKET, path + "/ltx/0/not-an-ltx-file.txt").build(), new byte[1]);
        upload(BlobInfo.newBuilder(BUCKET, path + "/ltx/0/deeper/0000000000000003-0000000000000003.ltx").build(), new byte[1]);
        try (GcsReplicaClient c = client(path)) {
            var files = c.listFiles(0, 0);
            assertThat(files).extracting(LtxFileInfo::range).containsExactly(new TxidRange(1, 1), new TxidRange(2, 2));
            assertThat(files.get(0).createdAt()).isEqualTo(Instant.parse("2026-11-24T10:00:00.123456789Z"));
            assertThat(files.get(1).createdAt()).isAfter(before).isBefore(Instant.now().plusSeconds(60));
            assertThat(files).extracting(LtxFileInfo::size).containsExactly(10L, 20L);
        }
    }

    /** A resumable upload, as Litestream's Go client makes (the emulator refuses the multipart form). */
    private void upload(BlobInfo info, byte[] data) throws IOException {
        try (var w = admin.writer(info)) {
            w.write(ByteBuffer.wrap(data));
        }
    }

    @Test
    void deleteAllLeavesWhatIsNotAReplicaFile() throws Exception {
        String path = freshPath();
        upload(BlobInfo.newBuilder(BUCKET, path + "/notes.txt").build(), new byte[3]);
        try (GcsReplicaClient c = client(path)) {
            c.write(0, new TxidRange(1, 1), new ByteArrayInputStream(new byte[5]), 5, T0);
            c.deleteAll();
            assertThat(c.listFiles(0, 0)).isEmpty();
        }
        assertThat(admin.get(BlobId.of(BUCKET, path + "/notes.txt"))).as("a user's own object beside the replica").isNotNull();
    }

    @Test
    void anUnreachableEmulatorIsAnErrorNamingIt() throws Exception {
        int closed = GcsEmulator.freePort();
        var settings = GcsSettings.emulated(BUCKET, "db", java.net.URI.create("http://127.0.0.1:" + closed));
        try (GcsReplicaClient c = GcsReplicaClient.open(settings)) {
            assertThatThrownBy(() -> c.listFiles(0, 0)).hasMessageStartingWith("gs replica gs://contract/db (emulator http://127.0.0.1:" + closed + ")")
                    .hasMessageContaining("list level 0: cannot connect to http://127.0.0.1:" + closed);
            assertThatThrownBy(() -> c.write(0, new TxidRange(1, 1), new ByteArrayInputStream(new byte[1]), 1, T0))
                    .hasMessageContaining("put ").hasMessageContaining("cannot connect to");
        }
    }

    @Test
    void goTimeFormat() {
        assertThat(GcsReplicaClient.rfc3339Nano(Instant.parse("2026-01-02T03:04:05.123456789Z"))).isEqualTo("2026-01-02T03:04:05.123456789Z");
        assertThat(GcsReplicaClient.rfc3339Nano(Instant.parse("2026-01-02T03:04:05.100Z"))).isEqualTo("2026-01-02T03:04:05.1Z");
        assertThat(GcsReplicaClient.rfc3339Nano(Instant.parse("2026-01-02T03:04:05.000001Z"))).isEqualTo("2026-01-02T03:04:05.000001Z");
        assertThat(GcsReplicaClient.rfc3339Nano(Instant.parse("2026-01-02T03:04:05Z"))).isEqualTo("2026-01-02T03:04:05Z");
    }
}
