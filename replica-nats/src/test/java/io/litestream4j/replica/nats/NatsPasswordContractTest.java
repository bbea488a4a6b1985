package io.litestream4j.replica.nats;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;

/** The replica contract on a real nats-server that requires a user and password, given in the URL as Litestream reads it. */
class NatsPasswordContractTest extends NatsServerContract {
    @Override
    NatsServer startServer() throws Exception {
        return NatsServer.start(NatsServer.Auth.PASSWORD);
    }

    @Override
    ReplicaClient open(String bucket) throws Exception {
        ReplicaClient client = ReplicaClients.open(server.url(bucket));
        assertThat(client.location()).doesNotContain(NatsServer.PASSWORD);
        return client;
    }
}
