package io.litestream4j.replica.abs;

import io.litestream4j.core.replica.FlakyStorageContract;
import io.litestream4j.core.replica.LoopbackServer;
import java.nio.file.Path;

/** Broken and stalled connections to Azurite under load: {@link FlakyStorageContract}. */
class AbsFlakyStorageTest extends FlakyStorageContract {
    @Override
    protected LoopbackServer startServer(Path dir) throws Exception {
        return AbsLoopback.start("flaky");
    }
}
