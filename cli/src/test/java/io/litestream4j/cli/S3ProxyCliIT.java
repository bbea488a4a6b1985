package io.litestream4j.cli;

import io.litestream4j.replica.s3.S3TestServer;
import io.litestream4j.replica.s3.S3Store;

/** {@link S3ServerCliIT} on S3Proxy. */
class S3ProxyCliIT extends S3ServerCliIT {
    @Override
    S3Store startStore() throws Exception {
        return S3TestServer.start();
    }
}
