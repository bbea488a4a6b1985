package io.litestream4j.replica.nats;

import io.litestream4j.core.replica.FlakyStorageContract;
import io.litestream4j.core.replica.LoopbackServer;
import java.nio.file.Path;

/** Broken and stalled connections to nats-server (JetStream object store) under load: {@link FlakyStorageContract}. */
class NatsFlakyStorageTest extends FlakyStorageContract {
    @Override
    protected LoopbackServer startServer(Path dir) throws Exception {
        return NatsLoopback.start("flaky");
    }
}
