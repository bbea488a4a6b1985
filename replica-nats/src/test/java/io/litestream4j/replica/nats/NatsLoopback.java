package io.litestream4j.replica.nats;

import io.litestream4j.core.replica.LoopbackServer;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;
import java.io.IOException;

/** nats-server with JetStream and one object store bucket, and clients of it reaching it at any loopback port. */
record NatsLoopback(NatsServer server, String bucket) implements LoopbackServer {
    static NatsLoopback start(String bucket) throws Exception {
        NatsServer server = NatsServer.start(NatsServer.Auth.NONE);
        try {
            server.createBucket(bucket);
        } catch (Exception e) {
            server.close();
            throw e;
        }
        return new NatsLoopback(server, bucket);
    }

    @Override
    public int port() {
        return server.port();
    }

    @Override
    public ReplicaClient client(int port) throws IOException {
        return ReplicaClients.open(LoopbackServer.atPort(server.url(bucket), port));
    }

    @Override
    public void close() {
        server.close();
    }
}
