package io.litestream4j.core.restore;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Has the kernel write a restore's output to the disk while the restore is still decoding, by an
 * fdatasync on a thread of its own after every {@code every} bytes written through the page cache
 * (one at a time; a flush still running is not queued behind). Why: Linux starts writing dirty
 * pages back only at 10% of memory (2.3 GiB here), so a 1 GiB restore through the page cache
 * stayed dirty until the final fsync, which then wrote it all while nothing else ran.
 *
 * <p>Not a durability step: the caller's own fsync after the last write is. But a failed flush
 * here may be the only report of a write error (Linux reports it once per open file), so
 * {@link #finish} throws it.
 */
final class EarlyWriteback implements AutoCloseable {
    private final FileChannel channel;
    private final long every;
    private final AtomicLong written = new AtomicLong();
    private final ExecutorService thread = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("restore-writeback").daemon().factory());
    private volatile Future<?> flushing;
    private volatile IOException failure;

    EarlyWriteback(FileChannel channel, long every) {
        this.channel = channel;
        this.every = every;
    }

    /** Notes {@code bytes} more written through the page cache; starts a flush at every {@code every}. */
    void wrote(long bytes) {
        long before = written.getAndAdd(bytes);
        if (before / every == (before + bytes) / every) {
            return;
        }
        synchronized (this) {
            Future<?> last = flushing;
            if (last == null || last.isDone()) {
                flushing = thread.submit(this::flush);
            }
        }
    }

    private void flush() {
        try {
            channel.force(false);
        } catch (IOException e) {
            failure = e;
        }
    }

    /** Waits for a flush still running and throws the failure of any. */
    void finish() throws IOException {
        try {
            awaitLastFlush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the output's writeback");
        } catch (ExecutionException e) {
            throw new IOException("writeback of the restore's output: " + e.getCause(), e.getCause());
        }
        IOException f = failure;
        if (f != null) {
            throw new IOException("writing the restore's output back to the disk failed: " + f.getMessage(), f);
        }
    }

    /**
     * Lets a running flush end, then stops the thread. Not by interrupting it: an interrupted
     * {@link FileChannel#force} closes the channel, which is the caller's.
     */
    @Override
    public void close() {
        thread.shutdown();
        try {
            awaitLastFlush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // finish() reports failures; close() only stops the thread
        }
    }

    private void awaitLastFlush() throws InterruptedException, ExecutionException {
        Future<?> last = flushing;
        if (last != null) {
            last.get();
        }
    }
}
