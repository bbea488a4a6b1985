package io.litestream4j.replica.nats;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClientContract;
import io.litestream4j.core.replica.ReplicaClients;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The replica contract on a real nats-server that requires a user and password, given in the URL as Litestream reads it. */
class NatsPasswordContractTest extends ReplicaClientContract {
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    static NatsServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = NatsServer.start(NatsServer.Auth.PASSWORD);
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
        ReplicaClient client = ReplicaClients.open(server.url(bucket));
        assertThat(client.location()).doesNotContain(NatsServer.PASSWORD);
        return client;
    }
}
