package io.litestream4j.replica.nats;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClientContract;
import io.litestream4j.core.replica.ReplicaClients;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The replica contract on a real nats-server with JetStream and no authentication; each test gets a new bucket. */
class NatsContractTest extends ReplicaClientContract {
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    static NatsServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = NatsServer.start(NatsServer.Auth.NONE);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Override
    protected ReplicaClient newClient() throws Exception {
        String bucket = "contract-" + BUCKETS.incrementAndGet();
        server.createBucket(bucket);
        return ReplicaClients.open(server.url(bucket));
    }
}
