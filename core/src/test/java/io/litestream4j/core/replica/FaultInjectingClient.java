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
        PERMISSION_DENIED,
        /**
         * Each call, with the probability set by {@link #randomFaults}, suffers one of the faults
         * above (500, 503, a reset mid-upload, a slow answer) picked at random; the others pass.
         */
        RANDOM
    }

    private volatile double faultRate = 0.2;
    private java.util.Random random = new java.util.Random(0);
    private final java.util.concurrent.ConcurrentHashMap<Mode, AtomicLong> byKind = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicLong calls = new AtomicLong();

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

    /** In {@link Mode#RANDOM}: the share of calls that suffer a fault, from a seeded generator. */
    public synchronized void randomFaults(double rate, long seed) {
        this.faultRate = rate;
        this.random = new java.util.Random(seed);
    }

    /** Calls made through this client, faulty or not. */
    public long calls() {
        return calls.get();
    }

    /** Faults injected in {@link Mode#RANDOM}, by kind. */
    public java.util.Map<Mode, Long> randomFaultsByKind() {
        java.util.Map<Mode, Long> out = new java.util.TreeMap<>();
        byKind.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** The mode of this call: in RANDOM mode a fault kind for a share of the calls, else NONE. */
    private Mode effective() {
        calls.incrementAndGet();
        if (mode != Mode.RANDOM) {
            return mode;
        }
        Mode picked;
        synchronized (this) {
            if (random.nextDouble() >= faultRate) {
                return Mode.NONE;
            }
            picked = List.of(Mode.SERVER_ERRORS, Mode.THROTTLED, Mode.RESET_MID_UPLOAD, Mode.SLOW).get(random.nextInt(4));
        }
        byKind.computeIfAbsent(picked, k -> new AtomicLong()).incrementAndGet();
        return picked;
    }

    /** How many calls failed or were slowed on purpose. */
    public long injected() {
        return injected.get();
    }

    private Mode before(String operation) throws IOException {
        Mode now = effective();
        switch (now) {
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
                // NONE, and RESET_MID_UPLOAD which strikes inside write() (in RANDOM mode, other calls are reset too)
                if (now == Mode.RESET_MID_UPLOAD && mode == Mode.RANDOM && !operation.equals("put")) {
                    injected.incrementAndGet();
                    throw new java.net.SocketException(operation + ": Connection reset");
                }
            }
        }
        return now;
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long fromTxid) throws IOException {
        before("list");
        return delegate.listFiles(level, fromTxid);
    }

    @Override
    public InputStream open(int level, TxidRange range) throws IOException {
        before("get");
        return delegate.open(level, range);
    }

    @Override
    public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
        Mode now = before("put");
        if (now == Mode.PERMISSION_DENIED) {
            injected.incrementAndGet();
            throw new java.nio.file.AccessDeniedException(delegate.location() + "ltx/" + level + "/" + range + ".ltx.tmp");
        }
        if (now == Mode.RESET_MID_UPLOAD) {
            injected.incrementAndGet();
            data.readNBytes(Math.max(1, data.available() / 2));
            throw new java.net.SocketException("Connection reset");
        }
        return delegate.write(level, range, data, size, createdAt);
    }

    @Override
    public void delete(int level, TxidRange range) throws IOException {
        before("delete");
        delegate.delete(level, range);
    }

    @Override
    public void deleteAll() throws IOException {
        before("delete-all");
        delegate.deleteAll();
    }
}
