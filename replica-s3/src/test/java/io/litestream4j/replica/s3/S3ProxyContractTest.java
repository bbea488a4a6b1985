package io.litestream4j.replica.s3;

/** The S3 replica contract on S3Proxy (see {@link S3ContractTest}). */
class S3ProxyContractTest extends S3ContractTest {
    @Override
    S3Store startStore() throws Exception {
        return S3TestServer.start();
    }
}
