package io.litestream4j.core.replica;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The replica contract through the listing cache: it must not change what a client sees. */
class CachingReplicaClientContractTest extends ReplicaClientContract {
    @TempDir
    Path dir;

    @Override
    protected ReplicaClient newClient() {
        return new CachingReplicaClient(new FileReplicaClient(dir.resolve("replica")));
    }
}
