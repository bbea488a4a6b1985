package io.litestream4j.core.wal;

import java.util.Arrays;

/**
 * The committed frames of a WAL between two offsets: for each page the offset of its latest frame,
 * in page order, and the database size in pages after the last commit.
 *
 * @param start offset of the first frame scanned
 * @param end offset just past the last commit frame; equal to {@code start} when nothing was committed
 * @param commit database size in pages after the last commit (0 when nothing was committed)
 * @param endChecksum the running WAL checksum at {@code end}, where the next scan continues
 * @param pgnos pages written, increasing
 * @param frameOffsets offset of each page's latest frame, parallel to {@code pgnos}
 */
public record WalSegment(long start, long end, int commit, long endChecksum, int[] pgnos, long[] frameOffsets) {
    public boolean isEmpty() {
        return end == start;
    }

    public int pageCount() {
        return pgnos.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WalSegment s && start == s.start && end == s.end && commit == s.commit
                && endChecksum == s.endChecksum && Arrays.equals(pgnos, s.pgnos) && Arrays.equals(frameOffsets, s.frameOffsets);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(end) * 31 + Arrays.hashCode(pgnos);
    }

    @Override
    public String toString() {
        return "WalSegment[%d-%d, commit %d, %d pages]".formatted(start, end, commit, pgnos.length);
    }
}
