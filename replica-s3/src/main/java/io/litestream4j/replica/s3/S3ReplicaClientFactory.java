package io.litestream4j.replica.s3;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClientFactory;
import java.io.IOException;
import java.net.URI;
import java.util.Set;

/**
 * {@code s3://bucket/path?options}: a replica in S3 or an S3-compatible store;
 * {@code oss://bucket/path}: Alibaba Cloud OSS through its S3-compatible API.
 */
public final class S3ReplicaClientFactory implements ReplicaClientFactory {
    @Override
    public Set<String> schemes() {
        return Set.of("s3", "oss");
    }

    @Override
    public ReplicaClient create(URI url) throws IOException {
        if ("oss".equalsIgnoreCase(url.getScheme())) {
            return new S3ReplicaClient(S3Settings.parseOss(url), "oss");
        }
        return new S3ReplicaClient(S3Settings.parse(url));
    }
}
