package io.litestream4j.core.replica;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/** The replica contract through age encryption on a file replica: callers must see no difference. */
class AgeReplicaClientContractTest extends ReplicaClientContract {
    @TempDir
    Path dir;

    @Override
    protected ReplicaClient newClient() {
        return new AgeReplicaClient(new FileReplicaClient(dir.resolve("replica")),
                new AgeKeys(List.of(AgeTestKeys.IDENTITY), List.of(AgeTestKeys.RECIPIENT)));
    }
}
