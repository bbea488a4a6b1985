package io.litestream4j.replica.nats;

import io.litestream4j.core.replica.IdleCostContract;
import io.litestream4j.core.replica.LoopbackServer;
import java.nio.file.Path;
import java.time.Duration;

/** An idle database sends nothing to nats-server: {@link IdleCostContract}. */
class NatsIdleCostTest extends IdleCostContract {
    @Override
    protected LoopbackServer startServer(Path dir) throws Exception {
        return NatsLoopback.start("idle");
    }

    /**
     * nats-server PINGs a new client 2 s (plus up to 20 % jitter) after CONNECT, and the client's
     * 6-byte PONG once fell into the idle minute. Keepalives cost nothing; the next one is 2
     * minutes later (the server's ping_interval), after the test.
     */
    @Override
    protected Duration settleBeforeIdle() {
        return Duration.ofSeconds(3);
    }
}
