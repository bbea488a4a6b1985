package io.litestream4j.replica.webdav;

import io.litestream4j.core.replica.IdleCostContract;
import io.litestream4j.core.replica.LoopbackServer;
import java.nio.file.Path;

/** An idle database sends no request to rclone serve webdav: {@link IdleCostContract}. */
class RcloneIdleCostTest extends IdleCostContract {
    @Override
    protected LoopbackServer startServer(Path dir) throws Exception {
        return new DavLoopback(DavServer.rclone());
    }
}
