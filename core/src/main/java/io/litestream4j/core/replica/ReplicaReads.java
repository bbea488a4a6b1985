package io.litestream4j.core.replica;

import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;

/** Reads of part of a replica file on any replica: the store's own ranged read where it has one, else read and skip. */
public final class ReplicaReads {
    private ReplicaReads() {}

    /**
     * Opens {@code length} bytes of a file from {@code offset}, or to its end when {@code length} is
     * negative (see {@link RangedReads#open}). Without {@link RangedReads} the file is read from its
     * start and the first {@code offset} bytes are dropped, which costs them a transfer: fine for
     * headers, and what the caller accepts by reading parts of such a replica.
     */
    public static InputStream open(ReplicaClient client, int level, TxidRange range, long offset, long length) throws IOException {
        if (offset < 0) {
            throw new IllegalArgumentException("offset %d of %d/%s: want 0 or more".formatted(offset, level, range.fileName()));
        }
        if (offset == 0 && length < 0) {
            return client.open(level, range);
        }
        var ranged = client.capability(RangedReads.class);
        if (ranged.isPresent()) {
            return ranged.get().open(level, range, offset, length);
        }
        InputStream in = client.open(level, range);
        try {
            skipUpTo(in, offset);
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
        return BoundedInput.of(in, length);
    }

    /** Whether parts of this replica's files are read without reading what comes before them. */
    public static boolean serverSide(ReplicaClient client) {
        return client.capability(RangedReads.class).isPresent();
    }

    /** Drops up to {@code n} bytes; a file shorter than that is left at its end (a range past the end is empty). */
    private static void skipUpTo(InputStream in, long n) throws IOException {
        long left = n;
        byte[] sink = null;
        while (left > 0) {
            long skipped = in.skip(left);
            if (skipped > 0) {
                left -= skipped;
                continue;
            }
            // skip may return 0 before the end: a read tells the end from a pause
            if (sink == null) {
                sink = new byte[(int) Math.min(left, 64 * 1024)];
            }
            int read = in.read(sink, 0, (int) Math.min(left, sink.length));
            if (read < 0) {
                return;
            }
            left -= read;
        }
    }
}
