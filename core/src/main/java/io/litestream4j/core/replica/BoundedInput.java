package io.litestream4j.core.replica;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * At most a given number of bytes of a stream, for {@link ReplicaClient#open}'s ranged reads:
 * a backend opens its file at the offset and passes on no more than the length asked for.
 */
public final class BoundedInput extends FilterInputStream {
    private long left;

    private BoundedInput(InputStream in, long limit) {
        super(in);
        this.left = limit;
    }

    /** {@code in} cut after {@code length} bytes, or {@code in} itself when {@code length} is negative (to its end). */
    public static InputStream of(InputStream in, long length) {
        return length < 0 ? in : new BoundedInput(in, length);
    }

    @Override
    public int read() throws IOException {
        if (left <= 0) {
            return -1;
        }
        int b = super.read();
        if (b >= 0) {
            left--;
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (left <= 0) {
            return -1;
        }
        int n = super.read(b, off, (int) Math.min(len, left));
        if (n > 0) {
            left -= n;
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long s = super.skip(Math.min(n, left));
        left -= s;
        return s;
    }

    @Override
    public int available() throws IOException {
        return (int) Math.min(super.available(), left);
    }
}
