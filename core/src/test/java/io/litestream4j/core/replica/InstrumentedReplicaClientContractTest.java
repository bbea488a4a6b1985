package io.litestream4j.core.replica;

import io.litestream4j.ReplicationEvents;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The replica contract through the metrics decorator, stacked on the cache as the engine stacks them. */
class InstrumentedReplicaClientContractTest extends ReplicaClientContract {
    @TempDir
    Path dir;

    @Override
    protected ReplicaClient newClient() {
        return new InstrumentedReplicaClient(new CachingReplicaClient(new FileReplicaClient(dir.resolve("replica"))), ReplicationEvents.NONE);
    }
}
