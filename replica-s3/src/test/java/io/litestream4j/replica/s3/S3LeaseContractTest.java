package io.litestream4j.replica.s3;

import io.litestream4j.core.replica.LeaseStore;
import io.litestream4j.core.replica.LeaseStoreContract;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * The lease contract (conditional PUT and DELETE on {@code lock.json}) against an S3 server that
 * honours {@code If-None-Match} and {@code If-Match}, by a subclass per server. Servers that
 * ignore them have no subclass: there two replicators starting in the same instant could both
 * take the lease (see the README).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class S3LeaseContractTest extends LeaseStoreContract {
    private S3Store store;
    private String bucket;
    private int replicas;
    private final List<S3ReplicaClient> clients = new ArrayList<>();

    abstract S3Store startStore() throws Exception;

    @BeforeAll
    void startServer() throws Exception {
        store = startStore();
        bucket = "lease-" + store.name().replace(' ', '-');
        store.createBucket(bucket);
    }

    @AfterEach
    void closeClients() {
        clients.forEach(S3ReplicaClient::close);
        clients.clear();
    }

    @AfterAll
    void stopServer() {
        if (store != null) {
            store.close();
        }
    }

    @Override
    protected LeaseStore store(boolean fresh) {
        if (fresh) {
            replicas++;
        }
        S3ReplicaClient c = new S3ReplicaClient(store.settings(bucket, "db" + replicas + "/nested"));
        clients.add(c);
        return c.capability(LeaseStore.class).orElseThrow();
    }
}
