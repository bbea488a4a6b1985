package io.litestream4j.replica.webdav;

import org.junit.jupiter.api.BeforeAll;

/** The replica contract on Apache httpd with mod_dav_fs. */
class ApacheContractTest extends WebDavContractTest {
    @BeforeAll
    static void startServer() throws Exception {
        start(DavServer.apache());
    }
}
