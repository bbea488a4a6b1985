package io.litestream4j.replica.abs;

import io.litestream4j.core.replica.LoopbackServer;
import io.litestream4j.core.replica.ReplicaClient;
import java.net.URI;

/** Azurite with one container, and shared-key clients of {@code app.db} in it reaching it at any loopback port. */
record AbsLoopback(Azurite azurite, String container) implements LoopbackServer {
    static AbsLoopback start(String container) throws Exception {
        Azurite azurite = Azurite.start();
        try {
            azurite.container(container);
        } catch (RuntimeException e) {
            azurite.close();
            throw e;
        }
        return new AbsLoopback(azurite, container);
    }

    @Override
    public int port() {
        return azurite.port();
    }

    @Override
    public ReplicaClient client(int port) {
        URI endpoint = URI.create(LoopbackServer.atPort(azurite.endpoint().toString(), port));
        return new AbsReplicaClient(new AbsSettings(Azurite.ACCOUNT, Azurite.KEY, null, endpoint, container, "app.db"));
    }

    @Override
    public void close() {
        azurite.close();
    }
}
