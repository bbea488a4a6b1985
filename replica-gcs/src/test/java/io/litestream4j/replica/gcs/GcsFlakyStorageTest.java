package io.litestream4j.replica.gcs;

import io.litestream4j.core.replica.FlakyStorageContract;
import io.litestream4j.core.replica.LoopbackServer;
import java.nio.file.Path;

/** Broken and stalled connections to the Cloud Storage emulator under load: {@link FlakyStorageContract}. */
class GcsFlakyStorageTest extends FlakyStorageContract {
    @Override
    protected LoopbackServer startServer(Path dir) throws Exception {
        return GcsLoopback.start("flaky");
    }
}
