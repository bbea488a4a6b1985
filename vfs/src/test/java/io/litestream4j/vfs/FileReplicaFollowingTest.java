package io.litestream4j.vfs;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;

/** {@link FollowingReadersContract} on a file replica. */
class FileReplicaFollowingTest extends FollowingReadersContract {
    @Override
    ReplicaClient writerClient() throws Exception {
        return ReplicaClients.open(dir.resolve("replica").toString());
    }

    @Override
    ReplicaClient readerClient() throws Exception {
        return ReplicaClients.open(dir.resolve("replica").toString());
    }

    @Override
    String replicaUrl() {
        return dir.resolve("replica").toString();
    }

    @Override
    String vfsName() {
        return "follow-file";
    }
}
