package io.litestream4j.core.replica;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** A lease store counting the requests that change the lease (takes and renewals; releases) that reach it. */
final class CountingLeaseStore implements LeaseStore {
    private final LeaseStore delegate;
    /** Takes and renewals. */
    final AtomicInteger writes = new AtomicInteger();
    /** Releases. */
    final AtomicInteger deletes = new AtomicInteger();

    CountingLeaseStore(LeaseStore delegate) {
        this.delegate = delegate;
    }

    /** Every request that changed, or tried to change, the lease object. */
    int requests() {
        return writes.get() + deletes.get();
    }

    @Override
    public String leaseLocation() {
        return delegate.leaseLocation();
    }

    @Override
    public Optional<Stored> readLease() throws IOException {
        return delegate.readLease();
    }

    @Override
    public String writeLease(byte[] content, String expectedVersion) throws IOException {
        writes.incrementAndGet();
        return delegate.writeLease(content, expectedVersion);
    }

    @Override
    public void deleteLease(String expectedVersion) throws IOException {
        deletes.incrementAndGet();
        delegate.deleteLease(expectedVersion);
    }
}
