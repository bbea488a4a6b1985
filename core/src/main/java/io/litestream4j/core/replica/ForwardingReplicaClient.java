package io.litestream4j.core.replica;

import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A decorator's base: forwards every call, and every capability the decorator does not have
 * itself, to the client it wraps. A decorator overrides only what it changes. One that changes the
 * bytes of the files (encryption) answers false to {@link #passesBytesThrough}, so that no reader
 * goes around it to the files themselves.
 */
public abstract class ForwardingReplicaClient implements ReplicaClient {
    protected final ReplicaClient delegate;

    protected ForwardingReplicaClient(ReplicaClient delegate) {
        this.delegate = delegate;
    }

    /** The client this one wraps. */
    public ReplicaClient delegate() {
        return delegate;
    }

    @Override
    public String type() {
        return delegate.type();
    }

    @Override
    public String location() {
        return delegate.location();
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long fromTxid) throws IOException {
        return delegate.listFiles(level, fromTxid);
    }

    @Override
    public InputStream open(int level, TxidRange range) throws IOException {
        return delegate.open(level, range);
    }

    @Override
    public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
        return delegate.write(level, range, data, size, createdAt);
    }

    @Override
    public void delete(int level, TxidRange range) throws IOException {
        delegate.delete(level, range);
    }

    @Override
    public void deleteAll() throws IOException {
        delegate.deleteAll();
    }

    /**
     * Whether a file read through this decorator has the same bytes as the file in the store. When
     * not, the capabilities that read the store's files directly ({@link LocalFiles},
     * {@link LegacyLayout}, {@link RangedReads}) are hidden.
     */
    protected boolean passesBytesThrough() {
        return true;
    }

    @Override
    public <T> Optional<T> capability(Class<T> type) {
        if (type.isInstance(this)) {
            return Optional.of(type.cast(this));
        }
        if (type == BatchDelete.class) {
            return Optional.empty(); // see BatchDelete: only a decorator that wraps it passes it on (batchDeleteThrough)
        }
        if (type == ListsFrom.class) {
            return Optional.empty(); // it would bypass this decorator's listFiles (an age replica's plaintext sizes): passed on only explicitly
        }
        if (!passesBytesThrough() && (type == LocalFiles.class || type == LegacyLayout.class || type == RangedReads.class)) {
            return Optional.empty();
        }
        return delegate.capability(type);
    }

    /** This decorator's own part of a batch of deletes, run around the wrapped client's {@link BatchDelete}. */
    @FunctionalInterface
    protected interface BatchStep {
        void delete(BatchDelete wrapped, int level, List<TxidRange> ranges) throws IOException;
    }

    /** The wrapped client's {@link BatchDelete} with {@code step} as this decorator's part of each batch; empty when it has none. */
    protected final Optional<BatchDelete> batchDeleteThrough(BatchStep step) {
        return delegate.capability(BatchDelete.class).map(wrapped -> (level, ranges) -> step.delete(wrapped, level, ranges));
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + delegate + ")";
    }
}
