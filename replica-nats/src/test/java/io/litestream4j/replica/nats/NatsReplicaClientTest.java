package io.litestream4j.replica.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import io.nats.client.Connection;
import io.nats.client.ObjectStore;
import io.nats.client.api.ObjectInfo;
import io.nats.client.api.ObjectMeta;
import io.nats.client.impl.Headers;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the NATS replica does beyond the common contract, on a real nats-server: the objects and
 * headers Litestream writes and reads, no stray chunks after a failed write, and clear errors
 * for a missing bucket, wrong credentials and an unreachable server.
 */
@Timeout(300) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
@SuppressWarnings("try") // jnats' Connection.close() may throw InterruptedException; these tests throw Exception anyway
class NatsReplicaClientTest {
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static final Instant T0 = Instant.parse("2026-11-24T10:00:00.123Z");
    private static NatsServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = NatsServer.start(NatsServer.Auth.PASSWORD);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static String newBucket() throws Exception {
        String bucket = "client-" + BUCKETS.incrementAndGet();
        server.createBucket(bucket);
        return bucket;
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void objectsAreNamedAndStampedAsLitestreamWritesThem() throws Exception {
        String bucket = newBucket();
        try (ReplicaClient client = ReplicaClients.open(server.url(bucket)); Connection admin = server.adminConnection()) {
            client.write(3, new TxidRange(0x1a, 0x2b), new ByteArrayInputStream(bytes(300_000, 1)), 300_000, T0);
            ObjectInfo info = admin.objectStore(bucket).getInfo("ltx/3/000000000000001a-000000000000002b.ltx");
            assertThat(info).as("the object Litestream would look for").isNotNull();
            assertThat(info.getSize()).isEqualTo(300_000);
            assertThat(info.getHeaders().get("Litestream-Timestamp")).containsExactly("2026-11-24T10:00:00.123Z");
            assertThat(info.getChunks()).as("128 KiB chunks, as Litestream writes them").isEqualTo(3);
        }
    }

    @Test
    void readsWhatLitestreamWroteWithNanosecondsOrNoTimestampAtAll() throws Exception {
        String bucket = newBucket();
        byte[] stamped = bytes(1000, 2);
        byte[] plain = bytes(2000, 3);
        try (Connection admin = server.adminConnection()) {
            ObjectStore store = admin.objectStore(bucket);
            // As Litestream's Go client writes: RFC3339Nano, trailing zeros trimmed.
            store.put(ObjectMeta.builder("ltx/0/0000000000000001-0000000000000001.ltx")
                    .headers(new Headers().put("Litestream-Timestamp", "2026-11-24T10:00:00.123456789Z")).build(), new ByteArrayInputStream(stamped));
            store.put(ObjectMeta.builder("ltx/0/0000000000000002-0000000000000002.ltx").build(), new ByteArrayInputStream(plain));
            store.put(ObjectMeta.builder("ltx/0/not-an-ltx-file").build(), new ByteArrayInputStream(plain));
            store.put(ObjectMeta.builder("other/thing").build(), new ByteArrayInputStream(plain));
        }
        Instant before = Instant.now().minusSeconds(60);
        try (ReplicaClient client = ReplicaClients.open(server.url(bucket))) {
            List<LtxFileInfo> files = io.litestream4j.core.replica.ExactListings.list(client, 0, 0);
            assertThat(files).extracting(LtxFileInfo::range).containsExactly(new TxidRange(1, 1), new TxidRange(2, 2));
            assertThat(files.get(0).createdAt()).isEqualTo(Instant.parse("2026-11-24T10:00:00.123456789Z"));
            assertThat(files.get(1).createdAt()).as("no header: the upload time").isAfter(before);
            try (InputStream in = client.open(0, new TxidRange(1, 1))) {
                assertThat(in.readAllBytes()).isEqualTo(stamped);
            }
            client.deleteAll();
            assertThat(client.listFiles(0, 0)).isEmpty();
            try (Connection admin = server.adminConnection()) {
                assertThat(admin.objectStore(bucket).getInfo("other/thing")).as("deleteAll leaves objects outside ltx/ alone").isNotNull();
            }
        }
    }

    @Test
    void timestampsAreWrittenInGoRfc3339Nano() {
        assertThat(NatsReplicaClient.formatTimestamp(Instant.parse("2026-11-24T10:00:00Z"))).isEqualTo("2026-11-24T10:00:00Z");
        assertThat(NatsReplicaClient.formatTimestamp(Instant.parse("2026-11-24T10:00:00.120Z"))).isEqualTo("2026-11-24T10:00:00.12Z");
        assertThat(NatsReplicaClient.formatTimestamp(Instant.parse("2026-11-24T10:00:00.000000001Z"))).isEqualTo("2026-11-24T10:00:00.000000001Z");
    }

    @Test
    void aFailedWriteLeavesNoChunksBehindAndKeepsTheOldObject() throws Exception {
        String bucket = newBucket();
        byte[] old = bytes(1000, 4);
        try (ReplicaClient client = ReplicaClients.open(server.url(bucket)); Connection admin = server.adminConnection()) {
            client.write(0, new TxidRange(1, 1), new ByteArrayInputStream(old), old.length, T0);
            long before = admin.jetStreamManagement().getStreamInfo("OBJ_" + bucket).getStreamState().getMsgCount();
            byte[] data = bytes(1 << 20, 5);
            InputStream failing = new java.io.FilterInputStream(new ByteArrayInputStream(data)) {
                private int read;

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (read > data.length / 2) {
                        throw new IOException("disk read failed half-way");
                    }
                    int n = super.read(b, off, len);
                    read += Math.max(n, 0);
                    return n;
                }
            };
            assertThatThrownBy(() -> client.write(0, new TxidRange(1, 1), failing, data.length, T0.plusSeconds(1)))
                    .isInstanceOf(IOException.class).hasMessageContaining("disk read failed half-way");
            assertThat(admin.jetStreamManagement().getStreamInfo("OBJ_" + bucket).getStreamState().getMsgCount())
                    .as("the half-written chunks were purged").isEqualTo(before);
            try (InputStream in = client.open(0, new TxidRange(1, 1))) {
                assertThat(in.readAllBytes()).as("the object written before is intact").isEqualTo(old);
            }
        }
    }

    @Test
    void aMissingBucketIsAnErrorSayingHowToCreateIt() throws Exception {
        try (ReplicaClient client = ReplicaClients.open(server.url("no-such-bucket"))) {
            assertThatThrownBy(() -> client.listFiles(0, 0)).isInstanceOf(IOException.class)
                    .hasMessageContaining("nats://" + server.address() + "/no-such-bucket")
                    .hasMessageContaining("bucket \"no-such-bucket\" does not exist")
                    .hasMessageContaining("nats object add no-such-bucket")
                    .message().doesNotContain(NatsServer.PASSWORD);
        }
    }

    @Test
    void wrongCredentialsAndAnUnreachableServerAreErrorsNamingTheServerNeverTheSecret() throws Exception {
        String bucket = newBucket();
        try (ReplicaClient client = ReplicaClients.open("nats://%s:wrong-password-value@%s/%s".formatted(NatsServer.USER, server.address(), bucket))) {
            assertThatThrownBy(() -> client.listFiles(0, 0)).isInstanceOf(IOException.class)
                    .hasMessageContaining("cannot connect to nats://" + server.address())
                    .hasMessageContaining("user litestream and password")
                    .hasMessageContaining("Authorization Violation")
                    .message().doesNotContain("wrong-password-value");
        }
        try (ReplicaClient client = ReplicaClients.open("nats://127.0.0.1:1/" + bucket + "?timeout=2s")) {
            assertThatThrownBy(() -> client.listFiles(0, 0)).isInstanceOf(IOException.class)
                    .hasMessageContaining("cannot connect to nats://127.0.0.1:1");
        }
    }

    @Test
    void configKeysWorkWithoutAUrl() throws Exception {
        String bucket = newBucket();
        var factory = new NatsReplicaClientFactory();
        try (ReplicaClient client = factory.create("nats", java.net.URI.create("nats://" + server.address()),
                Map.of("bucket", bucket, "username", NatsServer.USER, "password", NatsServer.PASSWORD, "timeout", "30s"))) {
            client.write(0, new TxidRange(1, 1), new ByteArrayInputStream(new byte[] {1, 2, 3}), 3, T0);
            assertThat(client.listFiles(0, 0)).hasSize(1);
            assertThat(client.location()).isEqualTo("nats://%s/%s".formatted(server.address(), bucket));
        }
    }
}
