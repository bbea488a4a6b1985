package io.litestream4j.cli;

import io.litestream4j.replica.s3.S3rverServer;
import io.litestream4j.replica.s3.S3Store;

/** {@link S3ServerCliIT} on S3rverHttps. */
class S3rverHttpsCliIT extends S3ServerCliIT {
    @Override
    S3Store startStore() throws Exception {
        return S3rverServer.start(true);
    }
}
