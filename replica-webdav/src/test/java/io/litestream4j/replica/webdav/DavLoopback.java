package io.litestream4j.replica.webdav;

import io.litestream4j.core.replica.LoopbackServer;
import io.litestream4j.core.replica.ReplicaClient;
import java.io.IOException;
import java.net.URI;

/** A WebDAV server, and Basic-auth clients of the folder {@code app.db} on it reaching it at any loopback port. */
record DavLoopback(DavServer server) implements LoopbackServer {
    @Override
    public int port() {
        return server.port();
    }

    @Override
    public ReplicaClient client(int port) throws IOException {
        return new WebDavReplicaClientFactory().create(URI.create(LoopbackServer.atPort(server.url("app.db"), port)));
    }

    @Override
    public void close() {
        server.close();
    }
}
