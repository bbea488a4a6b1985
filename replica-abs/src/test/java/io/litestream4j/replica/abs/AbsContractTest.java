package io.litestream4j.replica.abs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClientContract;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The replica contract on Azurite, authenticated with the account's shared key and with a
 * container SAS token, and what Azure adds to it: Litestream's blob names, content type and
 * {@code litestreamtimestamp} metadata, and reading blobs Litestream wrote. The large file spans
 * three 4 MiB blocks.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class AbsContractTest {
    private static final String CONTAINER = "contract";
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:00.123Z");
    private Azurite azurite;
    private BlobContainerClient admin;
    private int replicas;

    @BeforeAll
    void startAzurite() throws Exception {
        azurite = Azurite.start();
        admin = azurite.container(CONTAINER);
    }

    @AfterAll
    void stopAzurite() {
        if (azurite != null) {
            azurite.close();
        }
    }

    private String freshPath() {
        return "db" + (replicas++) + "/nested";
    }

    @Nested
    class WithSharedKey extends ReplicaClientContract {
        @Override
        protected ReplicaClient newClient() {
            return new AbsReplicaClient(azurite.sharedKey(CONTAINER, freshPath()));
        }
    }

    @Nested
    class WithSasToken extends ReplicaClientContract {
        @Override
        protected ReplicaClient newClient() {
            return new AbsReplicaClient(azurite.sas(CONTAINER, freshPath()));
        }
    }

    @Test
    void blobsAreNamedAndLabelledAsLitestreamWritesThem() throws Exception {
        String path = freshPath();
        byte[] small = new byte[1000];
        byte[] large = new byte[(9 << 20) + 5]; // three blocks
        new java.util.Random(1).nextBytes(large);
        try (AbsReplicaClient c = new AbsReplicaClient(azurite.sharedKey(CONTAINER, path))) {
            c.write(0, new TxidRange(1, 1), new ByteArrayInputStream(small), small.length, T0);
            c.write(9, new TxidRange(1, 0x2a), new ByteArrayInputStream(large), large.length, T0.plusSeconds(1));
        }
        BlobProperties l0 = admin.getBlobClient(path + "/ltx/0/0000000000000001-0000000000000001.ltx").getProperties();
        assertThat(l0.getMetadata()).containsExactly(Map.entry("litestreamtimestamp", "2026-11-29T10:00:00.123Z"));
        assertThat(l0.getContentType()).isEqualTo("application/octet-stream");
        assertThat(l0.getBlobSize()).isEqualTo(1000);
        var snapshot = admin.getBlobClient(path + "/ltx/9/0000000000000001-000000000000002a.ltx");
        assertThat(snapshot.getProperties().getMetadata()).containsEntry("litestreamtimestamp", "2026-11-29T10:00:01.123Z");
        assertThat(snapshot.downloadContent().toBytes()).isEqualTo(large);
    }

    @Test
    void readsBlobsAsLitestreamWritesThem() throws Exception {
        String path = freshPath();
        // Go's RFC 3339 with nanoseconds, and a blob without the metadata (its creation time counts).
        admin.getBlobClient(path + "/ltx/0/0000000000000001-0000000000000001.ltx").uploadWithResponse(
                new BlobParallelUploadOptions(BinaryData.fromBytes(new byte[10])).setMetadata(Map.of("litestreamtimestamp", "2026-11-24T10:00:00.123456789Z")),
                null, null);
        Instant before = Instant.now().minusSeconds(60);
        admin.getBlobClient(path + "/ltx/0/0000000000000002-0000000000000002.ltx").upload(BinaryData.fromBytes(new byte[20]));
        admin.getBlobClient(path + "/ltx/0/not-an-ltx-file.txt").upload(BinaryData.fromBytes(new byte[1]));
        try (AbsReplicaClient c = new AbsReplicaClient(azurite.sharedKey(CONTAINER, path))) {
            var files = c.listFiles(0, 0);
            assertThat(files).extracting(LtxFileInfo::range).containsExactly(new TxidRange(1, 1), new TxidRange(2, 2));
            assertThat(files.get(0).createdAt()).isEqualTo(Instant.parse("2026-11-24T10:00:00.123456789Z"));
            assertThat(files.get(1).createdAt()).isAfter(before).isBefore(Instant.now().plusSeconds(60));
            assertThat(files).extracting(LtxFileInfo::size).containsExactly(10L, 20L);
        }
    }

    @Test
    void wrongCredentialsAreAnErrorNamingTheReplicaAndNoSecret() throws Exception {
        String wrongKey = java.util.Base64.getEncoder().encodeToString("not the key of this account at all, 64 bytes long, padded......".getBytes());
        try (AbsReplicaClient c = new AbsReplicaClient(new AbsSettings(Azurite.ACCOUNT, wrongKey, null, azurite.endpoint(), CONTAINER, "x"))) {
            assertThatThrownBy(() -> c.listFiles(0, 0)).hasMessageContaining("abs://devstoreaccount1@contract/x").hasMessageContaining("403")
                    .hasMessageContaining("account-key").hasMessageNotContaining(wrongKey);
        }
        String sas = azurite.sasToken(CONTAINER);
        String forged = sas.replaceAll("sig=[^&]+", "sig=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D");
        try (AbsReplicaClient c = new AbsReplicaClient(new AbsSettings(null, null, forged, azurite.endpoint(), CONTAINER, "x"))) {
            assertThatThrownBy(() -> c.write(0, new TxidRange(1, 1), new ByteArrayInputStream(new byte[1]), 1, T0)).hasMessageContaining("403")
                    .hasMessageContaining("sas-token").hasMessageNotContaining("AAAAAAAAAAAAAAAA");
        }
    }

    @Test
    void aMissingContainerIsAnErrorSayingSo() throws Exception {
        try (AbsReplicaClient c = new AbsReplicaClient(azurite.sharedKey("no-such-container", "db"))) {
            assertThatThrownBy(() -> c.listFiles(0, 0)).hasMessageContaining("container no-such-container does not exist");
            assertThatThrownBy(() -> c.write(0, new TxidRange(1, 1), new ByteArrayInputStream(new byte[1]), 1, T0))
                    .hasMessageContaining("container no-such-container does not exist");
        }
    }

    @Test
    void anUnreachableEndpointIsAnErrorNamingIt() throws Exception {
        int closed = Azurite.freePort();
        var settings = new AbsSettings(Azurite.ACCOUNT, Azurite.KEY, null, java.net.URI.create("http://127.0.0.1:" + closed + "/devstoreaccount1"),
                CONTAINER, "db");
        try (AbsReplicaClient c = new AbsReplicaClient(settings)) {
            assertThatThrownBy(() -> c.listFiles(0, 0)).hasMessageContaining("cannot connect to http://127.0.0.1:" + closed).hasMessageContaining("list level 0")
                    .hasMessageNotContaining(Azurite.KEY);
        }
    }

    @Test
    void withoutKeyOrTokenTheDefaultCredentialChainIsAskedAndItsFailureIsAnError() throws Exception {
        // No identity exists on a test machine: the chain's failure must be a clear error. (It
        // sends bearer tokens over HTTPS only; Azurite serves HTTP here, so a closed HTTPS port.)
        URI https = URI.create("https://127.0.0.1:" + Azurite.freePort() + "/devstoreaccount1");
        try (AbsReplicaClient c = new AbsReplicaClient(new AbsSettings(Azurite.ACCOUNT, null, null, https, CONTAINER, "chain"))) {
            assertThatThrownBy(() -> c.listFiles(0, 0)).hasMessageStartingWith("abs replica abs://devstoreaccount1@contract/chain")
                    .hasMessageMatching("(?is).*list level 0: .*(credential|identity).*");
        }
    }
}
