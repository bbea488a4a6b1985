package io.litestream4j.vfs;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.replica.s3.S3ReplicaClient;
import io.litestream4j.replica.s3.S3TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@link FollowingReadersContract} on S3 (S3Proxy in-process on loopback). */
class S3ReplicaFollowingTest extends FollowingReadersContract {
    private static S3TestServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3TestServer.start();
        server.createBucket("vfs");
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Override
    ReplicaClient writerClient() {
        return new S3ReplicaClient(server.settings("vfs", "app"));
    }

    @Override
    ReplicaClient readerClient() {
        return new S3ReplicaClient(server.settings("vfs", "app"));
    }

    @Override
    String replicaUrl() {
        return server.url("vfs", "app");
    }

    @Override
    java.util.Map<String, String> readerEnvironment() {
        return java.util.Map.of("LITESTREAM_ACCESS_KEY_ID", S3TestServer.ACCESS_KEY, "LITESTREAM_SECRET_ACCESS_KEY", S3TestServer.SECRET_KEY);
    }

    @Override
    String vfsName() {
        return "follow-s3";
    }
}
