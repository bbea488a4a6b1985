package io.litestream4j.replica.s3;

/** The S3 replica contract on S3Mock (see {@link S3ContractTest}). */
class S3MockContractTest extends S3ContractTest {
    @Override
    S3Store startStore() throws Exception {
        return S3MockServer.start(false);
    }
}
