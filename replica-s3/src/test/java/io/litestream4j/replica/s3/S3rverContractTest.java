package io.litestream4j.replica.s3;

/** The S3 replica contract on S3rver (see {@link S3ContractTest}). */
class S3rverContractTest extends S3ContractTest {
    @Override
    S3Store startStore() throws Exception {
        return S3rverServer.start(false);
    }
}
