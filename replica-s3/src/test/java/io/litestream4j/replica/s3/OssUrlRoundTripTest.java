package io.litestream4j.replica.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;
import io.litestream4j.ltx.TxidRange;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * {@code oss://} goes through the same S3 client: found by scheme, keys laid out as Litestream's
 * OSS client lays them out. Exercised against S3Proxy with an endpoint override (no OSS here).
 */
class OssUrlRoundTripTest {
    @Test
    void ossUrlsReachTheS3Client() throws Exception {
        try (S3TestServer server = S3TestServer.start()) {
            server.createBucket("oss-bucket");
            String url = "oss://oss-bucket/app.db?endpoint=%s&forcePathStyle=true".formatted(server.endpoint());
            try (ReplicaClient c = new S3ReplicaClient(S3Settings.parseOss(java.net.URI.create(url))
                    .withCredentials(S3TestServer.ACCESS_KEY, S3TestServer.SECRET_KEY), "oss")) {
                assertThat(c.type()).isEqualTo("oss");
                assertThat(c.location()).startsWith("oss://oss-bucket/app.db");
                c.write(0, new TxidRange(1, 1), new ByteArrayInputStream(new byte[] {1, 2, 3}), 3, Instant.parse("2026-11-24T00:00:00Z"));
                try (InputStream in = c.open(0, new TxidRange(1, 1))) {
                    assertThat(in.readAllBytes()).containsExactly(1, 2, 3);
                }
                assertThat(((S3ReplicaClient) c).key(0, new TxidRange(1, 1))).isEqualTo("app.db/0000/0000000000000001-0000000000000001.ltx");
            }
            assertThat(ReplicaClients.factories()).containsKeys("s3", "oss", "file");
        }
    }
}
