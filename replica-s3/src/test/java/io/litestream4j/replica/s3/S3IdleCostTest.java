package io.litestream4j.replica.s3;

import io.litestream4j.core.replica.IdleCostContract;
import io.litestream4j.core.replica.LoopbackServer;
import java.nio.file.Path;

/** An idle database sends no request to S3 (S3Proxy): {@link IdleCostContract}. */
class S3IdleCostTest extends IdleCostContract {
    @Override
    protected LoopbackServer startServer(Path dir) throws Exception {
        return S3Loopback.start("idle");
    }
}
