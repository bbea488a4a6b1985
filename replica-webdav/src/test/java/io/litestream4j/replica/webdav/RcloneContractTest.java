package io.litestream4j.replica.webdav;

import org.junit.jupiter.api.BeforeAll;

/** The replica contract on rclone's WebDAV server. */
class RcloneContractTest extends WebDavContractTest {
    @BeforeAll
    static void startServer() throws Exception {
        start(DavServer.rclone());
    }
}
