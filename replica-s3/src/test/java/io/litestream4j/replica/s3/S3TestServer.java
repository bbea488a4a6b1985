package io.litestream4j.replica.s3;

import java.net.URI;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.junit.S3ProxyJunitCore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** A real S3 server (S3Proxy, on-disk store) on a loopback port, with signature checks on. */
public final class S3TestServer implements AutoCloseable {
    public static final String ACCESS_KEY = "test-access-key";
    public static final String SECRET_KEY = "test-secret-key-do-not-log";

    private final S3ProxyJunitCore proxy;

    private S3TestServer(S3ProxyJunitCore proxy) {
        this.proxy = proxy;
    }

    public static S3TestServer start() throws Exception {
        S3ProxyJunitCore proxy = new S3ProxyJunitCore.Builder().withCredentials(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        proxy.beforeEach();
        return new S3TestServer(proxy);
    }

    public URI endpoint() {
        return proxy.getUri();
    }

    /** Creates a bucket through the S3 API itself. */
    public void createBucket(String bucket) {
        try (S3Client s3 = S3Client.builder().endpointOverride(endpoint()).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY))).build()) {
            s3.createBucket(b -> b.bucket(bucket));
        }
    }

    /** Settings for a replica in {@code bucket} under {@code path} on this server. */
    public S3Settings settings(String bucket, String path) {
        return S3Settings.of(bucket, path).withEndpoint(endpoint()).withCredentials(ACCESS_KEY, SECRET_KEY);
    }

    @Override
    public void close() {
        proxy.afterEach();
    }
}
