package io.litestream4j.replica.s3;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClientFactory;
import java.io.IOException;
import java.net.URI;
import java.util.Set;

/** {@code s3://bucket/path?options}: a replica in S3 or an S3-compatible store. */
public final class S3ReplicaClientFactory implements ReplicaClientFactory {
    @Override
    public Set<String> schemes() {
        return Set.of("s3");
    }

    @Override
    public ReplicaClient create(URI url) throws IOException {
        return new S3ReplicaClient(S3Settings.parse(url));
    }
}
