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

    /** One long connection: 6-8 faults a minute, so a full minute for a fault to be certain. */
    @Override
    protected java.time.Duration faultyFor() {
        return java.time.Duration.ofSeconds(io.litestream4j.core.Soak.pick(60, 600));
    }
}
