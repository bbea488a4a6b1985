package io.litestream4j.ltx;

import java.io.IOException;
import java.io.InputStream;

/**
 * A buffered reader over an LTX byte stream that knows its offset in the file, so every error can
 * say where it happened, and that lets callers look at buffered bytes without copying them.
 */
final class LtxInput implements Lz4Frame.Source {
    private final InputStream in;
    private final String file;
    private final long base;
    byte[] buf;
    int pos;
    int lim;
    private long consumedBeforeBuf;

    LtxInput(InputStream in, String file, int bufferSize) {
        this(in, file, bufferSize, 0);
    }

    /** {@code base}: the file offset of the stream's first byte (for byte-range reads). */
    LtxInput(InputStream in, String file, int bufferSize, long base) {
        this(in, file, new byte[bufferSize], base);
    }

    /** Reads through {@code buffer} (the caller's, reused across files; its contents are overwritten). */
    LtxInput(InputStream in, String file, byte[] buffer, long base) {
        this.in = in;
        this.file = file;
        this.buf = buffer;
        this.base = base;
    }

    /** The file offset of the next unread byte. */
    long offset() {
        return base + consumedBeforeBuf + pos;
    }

    String file() {
        return file;
    }

    /** Makes {@code n} bytes available at {@code buf[pos]}; false if the stream ends first. */
    boolean ensure(int n) throws IOException {
        if (lim - pos >= n) {
            return true;
        }
        if (buf.length < n) {
            byte[] bigger = new byte[Math.max(n, buf.length * 2)];
            System.arraycopy(buf, pos, bigger, 0, lim - pos);
            consumedBeforeBuf += pos;
            lim -= pos;
            pos = 0;
            buf = bigger;
        } else if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, lim - pos);
            consumedBeforeBuf += pos;
            lim -= pos;
            pos = 0;
        }
        while (lim < n) {
            int r = in.read(buf, lim, buf.length - lim);
            if (r < 0) {
                return false;
            }
            lim += r;
        }
        return true;
    }

    /** Makes {@code n} bytes available or fails with a truncation error naming {@code what}. */
    void require(int n, String what) throws IOException {
        if (!ensure(n)) {
            throw new LtxFormatException(file, "truncated at offset %d: want %d bytes of %s, got %d"
                    .formatted(offset(), n, what, lim - pos));
        }
    }

    void skip(int n) {
        pos += n;
    }

    @Override
    public void readFully(byte[] b, int off, int len, String what) throws IOException {
        while (len > 0) {
            if (pos == lim && !ensure(1)) {
                throw new LtxFormatException(file, "truncated at offset %d: want %d more bytes of %s".formatted(offset(), len, what));
            }
            int n = Math.min(len, lim - pos);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            off += n;
            len -= n;
        }
    }

    int readInt(String what) throws IOException {
        require(4, what);
        int v = ((buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16) | ((buf[pos + 2] & 0xff) << 8) | (buf[pos + 3] & 0xff);
        pos += 4;
        return v;
    }

    long readLong(String what) throws IOException {
        require(8, what);
        long hi = readInt(what);
        long lo = readInt(what);
        return (hi << 32) | (lo & 0xffffffffL);
    }

    @Override
    public int readIntLittleEndian(String what) throws IOException {
        return Integer.reverseBytes(readInt(what));
    }

    @Override
    public int readByte(String what) throws IOException {
        require(1, what);
        return buf[pos++] & 0xff;
    }

    /** True if the stream has no more bytes. */
    boolean atEnd() throws IOException {
        return !ensure(1);
    }
}
