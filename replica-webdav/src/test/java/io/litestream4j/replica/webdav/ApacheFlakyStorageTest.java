package io.litestream4j.replica.webdav;

import io.litestream4j.core.replica.FlakyStorageContract;
import io.litestream4j.core.replica.LoopbackServer;
import java.nio.file.Path;

/** Broken and stalled connections to Apache httpd's mod_dav under load: {@link FlakyStorageContract}. */
class ApacheFlakyStorageTest extends FlakyStorageContract {
    @Override
    protected LoopbackServer startServer(Path dir) throws Exception {
        return new DavLoopback(DavServer.apache());
    }
}
