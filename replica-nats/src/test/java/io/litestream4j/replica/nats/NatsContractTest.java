package io.litestream4j.replica.nats;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;

/** The replica contract on a real nats-server with JetStream and no authentication. */
class NatsContractTest extends NatsServerContract {
    @Override
    NatsServer startServer() throws Exception {
        return NatsServer.start(NatsServer.Auth.NONE);
    }

    @Override
    ReplicaClient open(String bucket) throws Exception {
        return ReplicaClients.open(server.url(bucket));
    }
}
