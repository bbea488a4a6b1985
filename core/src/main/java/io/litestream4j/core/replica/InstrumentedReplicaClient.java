package io.litestream4j.core.replica;

import io.litestream4j.ReplicationEvents;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Reports every request a replica client makes (operation, bytes, time, failure) to
 * {@link ReplicationEvents}. Wrapped inside the {@link CachingReplicaClient}, so it counts what
 * reaches the store, not what the cache answers.
 */
public final class InstrumentedReplicaClient extends ForwardingReplicaClient {
    private final ReplicationEvents events;

    public InstrumentedReplicaClient(ReplicaClient delegate, ReplicationEvents events) {
        super(delegate);
        this.events = events;
    }

    @FunctionalInterface
    private interface Call<T> {
        T run() throws IOException;
    }

    private <T> T timed(String operation, Call<T> call, java.util.function.ToLongFunction<T> bytes) throws IOException {
        long start = System.nanoTime();
        try {
            T result = call.run();
            events.replicaOperation(delegate.type(), operation, bytes.applyAsLong(result), System.nanoTime() - start, null);
            return result;
        } catch (IOException | RuntimeException e) {
            events.replicaOperation(delegate.type(), operation, 0, System.nanoTime() - start, errorCode(e));
            throw e;
        }
    }

    /** A short, label-safe name for a failure: never its message, which may name anything (see {@link ErrorCodes}). */
    static String errorCode(Exception e) {
        return ErrorCodes.of(e);
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long fromTxid) throws IOException {
        return timed("LIST", () -> delegate.listFiles(level, fromTxid), l -> 0);
    }

    /** The exact listing of a replica that has one is a LIST too (plus HEADs on S3, counted as one). */
    @Override
    public <T> Optional<T> capability(Class<T> type) {
        Optional<T> found = super.capability(type);
        if (type == ExactTimestamps.class && found.isPresent()) {
            ExactTimestamps exact = (ExactTimestamps) found.get();
            ExactTimestamps timedExact = (level, fromTxid) -> timed("LIST", () -> exact.listFilesExact(level, fromTxid), l -> 0);
            return Optional.of(type.cast(timedExact));
        }
        if (type == ListsFrom.class) {
            Optional<ListsFrom> from = delegate.capability(ListsFrom.class);
            return from.map(f -> type.cast((ListsFrom) (level, minTxid) -> timed("LIST", () -> f.listFilesFrom(level, minTxid), l -> 0)));
        }
        if (type == BatchDelete.class) {
            return batchDeleteThrough((wrapped, level, ranges) -> timed("DELETE", () -> {
                wrapped.delete(level, ranges);
                return ranges;
            }, r -> 0)).map(type::cast);
        }
        if (type == RangedReads.class && found.isPresent()) {
            RangedReads ranged = (RangedReads) found.get();
            RangedReads countedRanged = (level, range, offset, length) -> counted(() -> ranged.open(level, range, offset, length));
            return Optional.of(type.cast(countedRanged));
        }
        return found;
    }

    @Override
    public InputStream open(int level, TxidRange range) throws IOException {
        return counted(() -> delegate.open(level, range));
    }

    /** A GET is reported when its stream is closed, with the bytes read and the time until then. */
    private InputStream counted(Call<InputStream> opening) throws IOException {
        long start = System.nanoTime();
        InputStream in;
        try {
            in = opening.run();
        } catch (IOException | RuntimeException e) {
            events.replicaOperation(delegate.type(), "GET", 0, System.nanoTime() - start, errorCode(e));
            throw e;
        }
        return new FilterInputStream(in) {
            private long bytes;
            private boolean reported;

            @Override
            public int read() throws IOException {
                int b = super.read();
                bytes += b >= 0 ? 1 : 0;
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n = super.read(buf, off, len);
                bytes += Math.max(n, 0);
                return n;
            }

            @Override
            public void close() throws IOException {
                super.close();
                if (!reported) {
                    reported = true;
                    events.replicaOperation(delegate.type(), "GET", bytes, System.nanoTime() - start, null);
                }
            }
        };
    }

    @Override
    public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
        return timed("PUT", () -> delegate.write(level, range, data, size, createdAt), LtxFileInfo::size);
    }

    @Override
    public void delete(int level, TxidRange range) throws IOException {
        timed("DELETE", () -> {
            delegate.delete(level, range);
            return range;
        }, r -> 0);
    }

    @Override
    public void deleteAll() throws IOException {
        timed("DELETE", () -> {
            delegate.deleteAll();
            return null;
        }, r -> 0);
    }
}
