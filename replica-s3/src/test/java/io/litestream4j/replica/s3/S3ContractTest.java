package io.litestream4j.replica.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClientContract;
import io.litestream4j.ltx.TxidRange;
import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The replica contract, and what S3 adds to it, run against each independent S3 server by a
 * subclass: every body reaches the store byte for byte (plain, with its length and Content-MD5,
 * never aws-chunked), and a body changed on the way is refused, never stored as the file. The
 * large file spans three 5 MiB parts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(180)
abstract class S3ContractTest extends ReplicaClientContract {
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");
    private S3Store store;
    private String bucket;
    private int replicas;

    /** Starts the server under test. */
    abstract S3Store startStore() throws Exception;

    @BeforeAll
    void startServer() throws Exception {
        store = startStore();
        bucket = "contract-" + store.name().replace(' ', '-'); // S3Mock serves HTTP and HTTPS from one store
        store.createBucket(bucket);
    }

    @AfterAll
    void stopServer() {
        if (store != null) {
            store.close();
        }
    }

    private S3Settings freshReplica() {
        return store.settings(bucket, "db" + (replicas++) + "/nested").withPartSize(S3Settings.MIN_PART_SIZE, 2);
    }

    @Override
    protected ReplicaClient newClient() {
        return new S3ReplicaClient(freshReplica());
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** The object exactly as the store keeps it, read with a plain SDK client. */
    private byte[] stored(S3Settings replica, String key) {
        try (var s3 = store.adminClient()) {
            return s3.getObjectAsBytes(b -> b.bucket(replica.bucket()).key(key)).asByteArray();
        }
    }

    @Test
    void bodiesAreStoredByteForByte() throws Exception {
        S3Settings replica = freshReplica();
        byte[] small = bytes(100_000, 1);
        byte[] large = bytes(11 << 20, 2); // three parts
        try (S3ReplicaClient c = new S3ReplicaClient(replica)) {
            c.write(0, new TxidRange(1, 1), new ByteArrayInputStream(small), small.length, T0);
            c.write(9, new TxidRange(1, 2), new ByteArrayInputStream(large), large.length, T0);
            assertThat(stored(replica, c.key(0, new TxidRange(1, 1)))).as("single PUT on %s", store.name()).isEqualTo(small);
            assertThat(stored(replica, c.key(9, new TxidRange(1, 2)))).as("multipart on %s", store.name()).isEqualTo(large);
        }
    }

    /** {@code ListsFrom}: one listing from a min TXID on, by the store (start-after), which skips the files before it. */
    @Test
    void aListingFromATxidStartsThereOnTheStore() throws Exception {
        try (S3ReplicaClient c = new S3ReplicaClient(freshReplica())) {
            for (TxidRange r : List.of(new TxidRange(1, 1), new TxidRange(2, 2), new TxidRange(3, 5), new TxidRange(6, 6), new TxidRange(7, 0x10),
                    new TxidRange(0x11, 0x11))) {
                byte[] b = bytes(10, r.min());
                c.write(0, r, new ByteArrayInputStream(b), b.length, T0);
            }
            c.write(1, new TxidRange(1, 6), new ByteArrayInputStream(bytes(10, 9)), 10, T0);
            // listFiles(0, 5) holds 3-5 (its max is 5); a listing from min TXID 5 on starts after it.
            assertThat(c.listFiles(0, 5)).extracting(f -> f.range().min()).as(store.name()).containsExactly(3L, 6L, 7L, 0x11L);
            assertThat(c.listFilesFrom(0, 5)).extracting(f -> f.range().min()).as(store.name()).containsExactly(6L, 7L, 0x11L);
            assertThat(c.listFilesFrom(0, 0x11)).extracting(f -> f.range().min()).as("hex names sort by TXID").containsExactly(0x11L);
            assertThat(c.listFilesFrom(0, 0x12)).isEmpty();
            assertThat(c.listFilesFrom(0, 1)).hasSize(6);
            assertThat(io.litestream4j.core.replica.ListsFrom.startingAt(c, 0, 4)).extracting(f -> f.range().min()).containsExactly(6L, 7L, 0x11L);
        }
    }

    @Test
    void requestsArePlainBodiesWithLengthAndMd5() throws Exception {
        try (BodyTamperingProxy proxy = proxyOrSkip(); S3ReplicaClient c = new S3ReplicaClient(freshReplica().withEndpoint(proxy.endpoint()))) {
            c.write(0, new TxidRange(1, 1), new ByteArrayInputStream(bytes(1000, 3)), 1000, T0);
            c.write(9, new TxidRange(1, 2), new ByteArrayInputStream(bytes(11 << 20, 4)), 11 << 20, T0);
            var uploads = proxy.requests().stream().filter(r -> r.method().equals("PUT")).toList();
            assertThat(uploads).as("one PUT and three parts").hasSize(4);
            for (var r : uploads) {
                assertThat(r.header("content-encoding")).as("%s %s", r.method(), r.target()).isNull();
                assertThat(r.header("x-amz-content-sha256")).as("%s %s", r.method(), r.target()).doesNotStartWith("STREAMING");
                assertThat(r.header("x-amz-decoded-content-length")).isNull();
                assertThat(r.bodyLength()).isPositive();
                assertThat(r.header("content-md5")).as("%s %s", r.method(), r.target()).isNotBlank();
            }
        }
    }

    @Test
    void aBodyChangedOnTheWayIsRefusedAndNotStored() throws Exception {
        try (BodyTamperingProxy proxy = proxyOrSkip(); S3ReplicaClient c = new S3ReplicaClient(freshReplica().withEndpoint(proxy.endpoint()))) {
            byte[] small = bytes(5000, 5);
            proxy.corruptNextBodies(1);
            assertThatThrownBy(() -> c.write(0, new TxidRange(1, 1), new ByteArrayInputStream(small), small.length, T0))
                    .as(store.name()).isInstanceOf(UploadVerificationException.class).hasMessageContaining(c.key(0, new TxidRange(1, 1)));
            assertThat(proxy.corruptionsLeft()).isZero();
            assertThat(c.listFiles(0, 0)).as("nothing stored under the file's name on %s", store.name()).isEmpty();

            byte[] large = bytes(11 << 20, 6);
            proxy.corruptNextBodies(1); // the first part
            assertThatThrownBy(() -> c.write(9, new TxidRange(1, 2), new ByteArrayInputStream(large), large.length, T0))
                    .as(store.name()).isInstanceOf(UploadVerificationException.class).hasMessageContaining(c.key(9, new TxidRange(1, 2)));
            assertThat(c.listFiles(9, 0)).as("no multipart object completed on %s", store.name()).isEmpty();

            // The retry goes through whole.
            c.write(0, new TxidRange(1, 1), new ByteArrayInputStream(small), small.length, T0);
            try (var in = c.open(0, new TxidRange(1, 1))) {
                assertThat(in.readAllBytes()).isEqualTo(small);
            }
        }
    }

    private BodyTamperingProxy proxyOrSkip() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(store.selfSigned(), "the proxy reads plain HTTP; the HTTP variant of this server runs this test");
        return new BodyTamperingProxy(store.endpoint());
    }
}
