package io.litestream4j.core.replica;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class FileLeaseStoreContractTest extends LeaseStoreContract {
    @TempDir
    Path dir;
    private int replicas;

    @Override
    protected LeaseStore store(boolean fresh) {
        if (fresh) {
            replicas++;
        }
        return new FileReplicaClient(dir.resolve("replica" + replicas)).capability(LeaseStore.class).orElseThrow();
    }
}
