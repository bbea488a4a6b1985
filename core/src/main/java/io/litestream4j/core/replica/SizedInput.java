package io.litestream4j.core.replica;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The body of a {@link ReplicaClient#write}: exactly {@code size} bytes. Reading it fails, rather
 * than ending quietly, when the source ends early or holds more than promised, so a backend that
 * sends a Content-Length never stores a short file as if it were whole.
 */
public final class SizedInput extends FilterInputStream {
    private final long size;
    private final String name;
    private long remaining;

    /** {@code in} must hold exactly {@code size} bytes; {@code name} is the file, for errors. */
    public SizedInput(InputStream in, long size, String name) {
        super(in);
        if (size < 0) {
            throw new IllegalArgumentException("size of %s is %d; want 0 or more".formatted(name, size));
        }
        this.size = size;
        this.name = name;
        this.remaining = size;
    }

    /** The number of bytes the body holds. */
    public long size() {
        return size;
    }

    @Override
    public int read() throws IOException {
        if (remaining == 0) {
            checkNoMore();
            return -1;
        }
        int b = in.read();
        if (b < 0) {
            throw shortBody();
        }
        remaining--;
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (remaining == 0) {
            checkNoMore();
            return -1;
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) {
            throw shortBody();
        }
        remaining -= n;
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = in.skip(Math.min(n, remaining));
        remaining -= skipped;
        return skipped;
    }

    @Override
    public int available() throws IOException {
        return (int) Math.min(in.available(), remaining);
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** Fails unless every byte was read and the source has no more. */
    public void requireEnd() throws IOException {
        if (remaining > 0) {
            throw shortBody();
        }
        checkNoMore();
    }

    private void checkNoMore() throws IOException {
        if (in.read() >= 0) {
            throw new IOException("%s: the data is longer than its stated size of %d bytes".formatted(name, size));
        }
    }

    private EOFException shortBody() {
        return new EOFException("%s: the data ended after %d of its %d bytes".formatted(name, size - remaining, size));
    }
}
