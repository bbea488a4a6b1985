package io.litestream4j.replica.s3;

import io.litestream4j.core.replica.LoopbackServer;
import io.litestream4j.core.replica.ReplicaClient;
import java.net.URI;

/** S3Proxy with one bucket, and clients of {@code app.db} in it reaching it at any loopback port. */
public record S3Loopback(S3TestServer server, String bucket) implements LoopbackServer {
    public static S3Loopback start(String bucket) throws Exception {
        S3TestServer server = S3TestServer.start();
        server.createBucket(bucket);
        return new S3Loopback(server, bucket);
    }

    @Override
    public int port() {
        return server.endpoint().getPort();
    }

    @Override
    public ReplicaClient client(int port) {
        return new S3ReplicaClient(server.settings(bucket, "app.db").withEndpoint(URI.create(LoopbackServer.atPort(server.endpoint().toString(), port))));
    }

    @Override
    public void close() throws Exception {
        server.close();
    }
}
