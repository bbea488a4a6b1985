package io.litestream4j.cli;

import io.litestream4j.replica.s3.S3MockServer;
import io.litestream4j.replica.s3.S3Store;

/** {@link S3ServerCliIT} on S3MockHttps. */
class S3MockHttpsCliIT extends S3ServerCliIT {
    @Override
    S3Store startStore() throws Exception {
        return S3MockServer.start(true);
    }
}
