package io.litestream4j.replica.webdav;

import io.litestream4j.core.replica.BoundedInput;
import java.io.IOException;
import java.io.InputStream;

/**
 * The bytes a ranged read asked for, from an answer that may hold more: a server that ignores
 * {@code Range} answers 200 with the whole file, so the first {@code offset} bytes are skipped
 * here; either way no more than {@code length} bytes are passed on.
 */
final class RangeBody {
    private RangeBody() {}

    /** {@code body} of a 206 answer (already starting at the offset) or of a 200 answer (the whole file). */
    static InputStream of(InputStream body, boolean partial, long offset, long length) throws IOException {
        if (!partial && offset > 0) {
            long skipped = skipUpTo(body, offset);
            if (skipped < offset) {
                body.close();
                return InputStream.nullInputStream(); // the offset is at or past the end
            }
        }
        return BoundedInput.of(body, length);
    }

    /** Skips up to {@code n} bytes (fewer only at the end of the stream); returns how many. */
    private static long skipUpTo(InputStream in, long n) throws IOException {
        byte[] scratch = new byte[(int) Math.min(n, 64 << 10)];
        long done = 0;
        while (done < n) {
            int r = in.read(scratch, 0, (int) Math.min(scratch.length, n - done));
            if (r < 0) {
                break;
            }
            done += r;
        }
        return done;
    }
}
