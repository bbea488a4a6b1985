package io.litestream4j.replica.nats;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClientContract;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/** The replica contract on one real nats-server per subclass (its authentication and transport); each test gets a new bucket. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class NatsServerContract extends ReplicaClientContract {
    private final AtomicInteger buckets = new AtomicInteger();
    NatsServer server;

    /** Starts the server under test. */
    abstract NatsServer startServer() throws Exception;

    /** A client for {@code bucket} on {@link #server}, configured as a user would. */
    abstract ReplicaClient open(String bucket) throws Exception;

    @BeforeAll
    void start() throws Exception {
        server = startServer();
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** A new bucket on the server, created as an operator would. */
    String newBucket() throws Exception {
        String bucket = "contract-" + buckets.incrementAndGet();
        server.createBucket(bucket);
        return bucket;
    }

    @Override
    protected ReplicaClient newClient() throws Exception {
        return open(newBucket());
    }
}
