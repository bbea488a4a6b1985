package io.litestream4j.replica.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Test;

class S3SettingsTest {
    @Test
    void plainAwsUrl() throws Exception {
        S3Settings s = S3Settings.parse(URI.create("s3://my-bucket/backups/app.db/"));
        assertThat(s.bucket()).isEqualTo("my-bucket");
        assertThat(s.path()).isEqualTo("backups/app.db");
        assertThat(s.endpoint()).isNull();
        assertThat(s.forcePathStyle()).isFalse();
        assertThat(s.partSize()).isEqualTo(5 << 20);
        assertThat(s.concurrency()).isEqualTo(5);
        assertThat(s.describe()).isEqualTo("s3://my-bucket/backups/app.db");
    }

    @Test
    void anEndpointImpliesPathStyleAndUsEast1() throws Exception {
        S3Settings s = S3Settings.parse(URI.create("s3://b/p?endpoint=minio.local:9000"));
        assertThat(s.endpoint()).isEqualTo(URI.create("https://minio.local:9000"));
        assertThat(s.forcePathStyle()).isTrue();
        assertThat(s.effectiveRegion()).isEqualTo("us-east-1");
        S3Settings virtualHosted = S3Settings.parse(URI.create("s3://b/p?endpoint=http://h:1&forcePathStyle=false&region=eu-west-1"));
        assertThat(virtualHosted.forcePathStyle()).isFalse();
        assertThat(virtualHosted.effectiveRegion()).isEqualTo("eu-west-1");
    }

    @Test
    void everyOptionIsRead() throws Exception {
        S3Settings s = S3Settings.parse(URI.create("s3://b?force-path-style=true&skipVerify=true&storageClass=STANDARD_IA"
                + "&partSize=16MB&concurrency=3&sseCustomerAlgorithm=AES256&sseCustomerKey=c2VjcmV0&sseKmsKeyId=k1"));
        assertThat(s.path()).isEmpty();
        assertThat(s.forcePathStyle()).isTrue();
        assertThat(s.skipVerify()).isTrue();
        assertThat(s.storageClass()).isEqualTo("STANDARD_IA");
        assertThat(s.partSize()).isEqualTo(16L << 20);
        assertThat(s.concurrency()).isEqualTo(3);
        assertThat(s.sseCustomerAlgorithm()).isEqualTo("AES256");
        assertThat(s.sseCustomerKey()).isEqualTo("c2VjcmV0");
        assertThat(s.sseKmsKeyId()).isEqualTo("k1");
    }

    @Test
    void badOptionsAreErrorsThatNameThemAndHideTheQuery() {
        assertThatThrownBy(() -> S3Settings.parse(URI.create("s3://b/p?regoin=x&sseCustomerKey=topsecret")))
                .hasMessageContaining("unknown option regoin").hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> S3Settings.parse(URI.create("s3://b/p?partSize=1MB")))
                .hasMessageContaining("part-size 1048576 is below S3's minimum");
        assertThatThrownBy(() -> S3Settings.parse(URI.create("s3://b/p?concurrency=lots"))).hasMessageContaining("concurrency=lots");
        assertThatThrownBy(() -> S3Settings.parse(URI.create("s3://b/p?skipVerify=maybe"))).hasMessageContaining("want true or false");
        assertThatThrownBy(() -> S3Settings.parse(URI.create("s3:///p"))).hasMessageContaining("want s3://bucket/path");
        assertThatThrownBy(() -> S3Settings.parse(URI.create("s3://b/p?sseCustomerAlgorithm=AES256")))
                .hasMessageContaining("go together");
    }

    @Test
    void ossUrls() throws Exception {
        S3Settings plain = S3Settings.parseOss(URI.create("oss://my-bucket/db"));
        assertThat(plain.bucket()).isEqualTo("my-bucket");
        assertThat(plain.effectiveRegion()).isEqualTo("cn-hangzhou");
        assertThat(plain.endpoint()).isEqualTo(URI.create("https://oss-cn-hangzhou.aliyuncs.com"));
        assertThat(plain.forcePathStyle()).as("OSS wants virtual-hosted addressing").isFalse();

        S3Settings withRegion = S3Settings.parseOss(URI.create("oss://my-bucket.oss-eu-central-1.aliyuncs.com/a/b"));
        assertThat(withRegion.bucket()).isEqualTo("my-bucket");
        assertThat(withRegion.path()).isEqualTo("a/b");
        assertThat(withRegion.effectiveRegion()).isEqualTo("eu-central-1");
        assertThat(withRegion.endpoint()).isEqualTo(URI.create("https://oss-eu-central-1.aliyuncs.com"));
        assertThat(withRegion.describe("oss")).startsWith("oss://my-bucket/a/b");

        S3Settings internal = S3Settings.parseOss(URI.create("oss://b.oss-cn-shanghai-internal.aliyuncs.com/p"));
        assertThat(internal.effectiveRegion()).isEqualTo("cn-shanghai");
    }

    @Test
    void toStringNeverShowsTheSecrets() {
        S3Settings s = S3Settings.of("bkt", "app").withCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI-secret");
        S3Settings sse = new S3Settings("bkt", "app", "us-east-1", null, false, false, null, S3Settings.MIN_PART_SIZE, 1, "AES256",
                "c2VjcmV0LXNzZS1jdXN0b21lci1rZXktMzItYnl0ZXM=", null, "AKIDEXAMPLE", "wJalrXUtnFEMI-secret");
        assertThat(s.toString()).contains("bucket=bkt", "accessKeyId=AKIDEXAMPLE", "secretAccessKey=<redacted>").doesNotContain("wJalrXUtnFEMI");
        assertThat(sse.toString()).contains("sseCustomerKey=<redacted>").doesNotContain("c2VjcmV0").doesNotContain("wJalrXUtnFEMI");
    }
}
