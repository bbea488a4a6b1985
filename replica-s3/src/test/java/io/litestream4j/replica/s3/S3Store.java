package io.litestream4j.replica.s3;

import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpConfigurationOption;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.utils.AttributeMap;

/**
 * An S3-compatible server on a loopback port that a test started: S3Proxy, s3rver or Adobe
 * S3Mock, over HTTP or HTTPS with a self-signed certificate. The same tests run against each,
 * because each implements S3 differently (aws-chunked bodies, Content-MD5, listings).
 */
public interface S3Store extends AutoCloseable {
    /** For test names and messages: {@code s3proxy}, {@code s3rver https}, ... */
    String name();

    URI endpoint();

    String accessKey();

    String secretKey();

    /** HTTPS with a certificate nobody signed: clients need {@code skipVerify}. */
    default boolean selfSigned() {
        return "https".equals(endpoint().getScheme());
    }

    /** Settings for a replica in {@code bucket} under {@code path} on this server. */
    default S3Settings settings(String bucket, String path) {
        return S3Settings.of(bucket, path).withEndpoint(endpoint()).withCredentials(accessKey(), secretKey()).withSkipVerify(selfSigned());
    }

    /** The replica URL a user would give {@code bin/litestream} (credentials go in the environment). */
    default String url(String bucket, String path) {
        return "s3://%s/%s?endpoint=%s%s".formatted(bucket, path, endpoint(), selfSigned() ? "&skipVerify=true" : "");
    }

    /** Creates a bucket through the S3 API itself. */
    default void createBucket(String bucket) {
        try (S3Client s3 = adminClient()) {
            s3.createBucket(b -> b.bucket(bucket));
        }
    }

    /** A plain SDK client for this server, to look at or tamper with what is stored behind the replica client's back. */
    default S3Client adminClient() {
        var builder = S3Client.builder().endpointOverride(endpoint()).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey(), secretKey())));
        if (selfSigned()) {
            builder.httpClient(ApacheHttpClient.builder()
                    .buildWithDefaults(AttributeMap.builder().put(SdkHttpConfigurationOption.TRUST_ALL_CERTIFICATES, true).build()));
        }
        return builder.build();
    }

    @Override
    void close();
}
