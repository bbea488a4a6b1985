package io.litestream4j.core.replica;

import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;

/**
 * A client that passes every call to another: tests override the calls they want to disturb.
 * Not {@link LocalFiles}, so readers go through {@link #open} even when the delegate is a folder.
 */
public class ForwardingClient implements ReplicaClient {
    protected final ReplicaClient delegate;

    public ForwardingClient(ReplicaClient delegate) {
        this.delegate = delegate;
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
    public InputStream open(int level, TxidRange range, long offset, long length) throws IOException {
        return delegate.open(level, range, offset, length);
    }

    @Override
    public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
        return delegate.write(level, range, data, size, createdAt);
    }

    @Override
    public void delete(int level, List<TxidRange> ranges) throws IOException {
        delegate.delete(level, ranges);
    }

    @Override
    public void deleteAll() throws IOException {
        delegate.deleteAll();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
