package io.litestream4j.replica.s3;

/** The S3 replica contract on S3MockHttps (see {@link S3ContractTest}). */
class S3MockHttpsContractTest extends S3ContractTest {
    @Override
    S3Store startStore() throws Exception {
        return S3MockServer.start(true);
    }
}
