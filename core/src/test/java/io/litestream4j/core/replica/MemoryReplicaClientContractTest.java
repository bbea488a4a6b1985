package io.litestream4j.core.replica;

/** The in-memory test replica honours the same contract as the real ones. */
class MemoryReplicaClientContractTest extends ReplicaClientContract {
    @Override
    protected ReplicaClient newClient() {
        return new MemoryReplicaClient("memory://replica");
    }
}
