package io.litestream4j.replica.s3;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClientContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The replica contract on a real S3 server on loopback; the large file spans three 5 MiB parts. */
class S3ReplicaClientContractTest extends ReplicaClientContract {
    private static S3TestServer server;
    private static int replicas;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3TestServer.start();
        server.createBucket("contract");
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Override
    protected ReplicaClient newClient() {
        return new S3ReplicaClient(server.settings("contract", "db" + (replicas++) + "/nested").withPartSize(S3Settings.MIN_PART_SIZE, 2));
    }
}
