package io.litestream4j.replica.abs;

import io.litestream4j.core.replica.IdleCostContract;
import io.litestream4j.core.replica.LoopbackServer;
import java.nio.file.Path;

/** An idle database sends no request to Azurite: {@link IdleCostContract}. */
class AbsIdleCostTest extends IdleCostContract {
    @Override
    protected LoopbackServer startServer(Path dir) throws Exception {
        return AbsLoopback.start("idle");
    }
}
