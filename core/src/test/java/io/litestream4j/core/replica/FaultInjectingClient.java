package io.litestream4j.core.replica;

import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wraps a real client and injects what object stores do to their clients: errors (500, 503,
 * SlowDown), connections reset in the middle of an upload, and slow responses. Tests switch the
 * mode while replication runs.
 */
public final class FaultInjectingClient extends ForwardingClient {
    /** What the next calls suffer. */
    public enum Mode {
        NONE, SERVER_ERRORS, THROTTLED, RESET_MID_UPLOAD, SLOW,
        /** Writes fail as a file replica's do in a folder that became unwritable (reads still work). */
        PERMISSION_DENIED
    }

    private volatile Mode mode = Mode.NONE;
    private volatile Duration slowness = Duration.ofMillis(500);
    private final AtomicLong injected = new AtomicLong();

    public FaultInjectingClient(ReplicaClient delegate) {
        super(delegate);
    }

    public void mode(Mode mode) {
        this.mode = mode;
    }

    public void slowness(Duration d) {
        this.slowness = d;
    }

    /** How many calls failed or were slowed on purpose. */
    public long injected() {
        return injected.get();
    }

    private void before(String operation) throws IOException {
        switch (mode) {
            case SERVER_ERRORS -> {
                injected.incrementAndGet();
                throw new IOException(operation + ": InternalError (HTTP 500): We encountered an internal error. Please try again.");
            }
            case THROTTLED -> {
                injected.incrementAndGet();
                throw new IOException(operation + ": SlowDown (HTTP 503): Please reduce your request rate.");
            }
            case SLOW -> {
                injected.incrementAndGet();
                try {
                    Thread.sleep(slowness);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException(operation + " interrupted");
                }
            }
            default -> {
                // NONE, and RESET_MID_UPLOAD which strikes inside write()
            }
        }
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long fromTxid) throws IOException {
        before("list");
        return delegate.listFiles(level, fromTxid);
    }

    @Override
    public InputStream open(int level, TxidRange range, long offset, long length) throws IOException {
        before("get");
        return delegate.open(level, range, offset, length);
    }

    @Override
    public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
        before("put");
        if (mode == Mode.PERMISSION_DENIED) {
            injected.incrementAndGet();
            throw new java.nio.file.AccessDeniedException(delegate.location() + "ltx/" + level + "/" + range + ".ltx.tmp");
        }
        if (mode == Mode.RESET_MID_UPLOAD) {
            injected.incrementAndGet();
            data.readNBytes(Math.max(1, data.available() / 2));
            throw new java.net.SocketException("Connection reset");
        }
        return delegate.write(level, range, data, size, createdAt);
    }

    @Override
    public void delete(int level, List<TxidRange> ranges) throws IOException {
        before("delete");
        delegate.delete(level, ranges);
    }

    @Override
    public void deleteAll() throws IOException {
        before("delete-all");
        delegate.deleteAll();
    }
}
