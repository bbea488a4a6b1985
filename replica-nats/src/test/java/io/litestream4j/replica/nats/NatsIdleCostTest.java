package io.litestream4j.replica.nats;

import io.litestream4j.core.replica.IdleCostContract;
import io.litestream4j.core.replica.LoopbackServer;
import java.nio.file.Path;

/** An idle database sends nothing to nats-server: {@link IdleCostContract}. */
class NatsIdleCostTest extends IdleCostContract {
    @Override
    protected LoopbackServer startServer(Path dir) throws Exception {
        return NatsLoopback.start("idle");
    }
}
