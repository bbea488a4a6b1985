package io.litestream4j.ltx;

import java.util.Arrays;
import java.util.OptionalInt;

/**
 * Where each page's frame lies in an LTX file: (pgno, offset, size) in increasing page order.
 * Read from the end of a file so one page can be fetched with a byte-range read.
 */
public final class PageIndex {
    private final int[] pgnos;
    private final long[] offsets;
    private final int[] sizes;

    PageIndex(int[] pgnos, long[] offsets, int[] sizes) {
        this.pgnos = pgnos;
        this.offsets = offsets;
        this.sizes = sizes;
    }

    public int size() {
        return pgnos.length;
    }

    public int pgno(int i) {
        return pgnos[i];
    }

    public long offset(int i) {
        return offsets[i];
    }

    public int frameSize(int i) {
        return sizes[i];
    }

    /** The entry number of {@code pgno}, if the file holds that page. */
    public OptionalInt find(int pgno) {
        int i = Arrays.binarySearch(pgnos, pgno);
        return i >= 0 ? OptionalInt.of(i) : OptionalInt.empty();
    }

    /** True if {@code other} has the same entries: the same pages, at the same offsets, of the same sizes. */
    public boolean sameEntries(PageIndex other) {
        return Arrays.equals(pgnos, other.pgnos) && Arrays.equals(offsets, other.offsets) && Arrays.equals(sizes, other.sizes);
    }
}
