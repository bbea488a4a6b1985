package io.litestream4j.replica.s3;

/**
 * The lease contract on S3Mock, the one of our three test servers that honours conditional
 * writes, though not atomically under races (S3Proxy answers 501, see {@link S3ProxyLeaseTest};
 * s3rver ignores the headers).
 */
class S3MockLeaseContractTest extends S3LeaseContractTest {
    @Override
    S3Store startStore() throws Exception {
        return S3MockServer.start(false);
    }

    /**
     * S3Mock 5.2.0 checks the condition and then writes, not atomically: in one of two runs two
     * of six racing creates with If-None-Match both succeeded. Sequential conditions hold (the
     * other tests).
     */
    @Override
    protected boolean atomicUnderRaces() {
        return false;
    }

    /** S3Mock 5.2.0 stores a PUT with If-Match when the object is gone; AWS answers 404. */
    @Override
    protected boolean refusesReplacingADeletedLease() {
        return false;
    }
}
