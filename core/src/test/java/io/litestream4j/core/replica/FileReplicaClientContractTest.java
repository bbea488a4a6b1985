package io.litestream4j.core.replica;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The replica contract on a local folder. */
class FileReplicaClientContractTest extends ReplicaClientContract {
    @TempDir
    Path dir;

    @Override
    protected ReplicaClient newClient() {
        return new FileReplicaClient(dir.resolve("replica"));
    }
}
