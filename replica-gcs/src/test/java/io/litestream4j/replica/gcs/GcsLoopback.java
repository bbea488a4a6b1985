package io.litestream4j.replica.gcs;

import io.litestream4j.core.replica.LoopbackServer;
import io.litestream4j.core.replica.ReplicaClient;
import java.io.IOException;
import java.net.URI;

/** The Cloud Storage emulator, and clients of {@code app.db} in one bucket reaching it at any loopback port. */
record GcsLoopback(GcsEmulator emulator, String bucket) implements LoopbackServer {
    static GcsLoopback start(String bucket) throws Exception {
        return new GcsLoopback(GcsEmulator.start(), bucket);
    }

    @Override
    public int port() {
        return emulator.port();
    }

    @Override
    public ReplicaClient client(int port) throws IOException {
        return GcsReplicaClient.open(GcsSettings.emulated(bucket, "app.db", URI.create(LoopbackServer.atPort(emulator.url().toString(), port))));
    }

    @Override
    public void close() {
        emulator.close();
    }
}
