package io.litestream4j.replica.gcs;

import io.litestream4j.core.replica.IdleCostContract;
import io.litestream4j.core.replica.LoopbackServer;
import java.nio.file.Path;

/** An idle database sends no request to the Cloud Storage emulator: {@link IdleCostContract}. */
class GcsIdleCostTest extends IdleCostContract {
    @Override
    protected LoopbackServer startServer(Path dir) throws Exception {
        return GcsLoopback.start("idle");
    }
}
