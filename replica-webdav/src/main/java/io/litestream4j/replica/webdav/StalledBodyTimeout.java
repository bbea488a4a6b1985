package io.litestream4j.replica.webdav;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A response body whose every read must make progress within a timeout. The JDK's HTTP client
 * times out only until the headers arrive; a server that stalls half-way through a body would
 * otherwise block the reader for ever (a replicator's upload loop, a restore). A read that waits
 * longer is interrupted, and fails with a {@link SocketTimeoutException} naming the request.
 */
final class StalledBodyTimeout extends FilterInputStream {
    /** One daemon thread for every body's watchdog: it only interrupts readers. */
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "webdav body timeout");
        t.setDaemon(true);
        return t;
    });

    private final Duration timeout;
    private final String what;
    /** The thread inside read() while the watchdog may interrupt it; null otherwise. Guarded by this. */
    private Thread reader;
    /** Set by the watchdog when it interrupted the reader. Guarded by this. */
    private boolean timedOut;

    StalledBodyTimeout(InputStream body, Duration timeout, String what) {
        super(body);
        this.timeout = timeout;
        this.what = what;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        synchronized (this) {
            reader = Thread.currentThread();
            timedOut = false;
        }
        ScheduledFuture<?> alarm = WATCHDOG.schedule(this::expire, timeout.toNanos(), TimeUnit.NANOSECONDS);
        try {
            return super.read(b, off, len);
        } catch (IOException e) {
            if (stoppedWaiting()) {
                close();
                throw new SocketTimeoutException("%s: no data from the server for %d ms".formatted(what, timeout.toMillis()));
            }
            throw e;
        } finally {
            alarm.cancel(false);
            if (stoppedWaiting()) {
                Thread.interrupted(); // our own interrupt, not the caller's
            }
        }
    }

    @Override
    public long skip(long n) throws IOException {
        // through read(), so a stall while skipping times out too
        byte[] buffer = new byte[(int) Math.min(Math.max(n, 0), 8192)];
        long skipped = 0;
        while (skipped < n) {
            int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    /** Leaves read(); true if the watchdog interrupted it. */
    private synchronized boolean stoppedWaiting() {
        reader = null;
        return timedOut;
    }

    private synchronized void expire() {
        if (reader != null) {
            timedOut = true;
            reader.interrupt();
        }
    }
}
