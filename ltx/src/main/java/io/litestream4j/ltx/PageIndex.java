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

    /**
     * True if {@code other} has the same entries: the same pages, at the same offsets, of the same
     * sizes (the three arrays of an index have one length: {@code PageIndexBuilder} makes them). A
     * loop of ours rather than {@code Arrays.equals}: a restore compares each file's index with the
     * planned one, a few hundred times, and the JDK's comparison (not intrinsic under C1, and
     * compiled only after thousands of calls with the restore's launcher settings) ran interpreted,
     * the restore workers' largest interpreted cost (docs/benchmarks.md, restore9).
     */
    public boolean sameEntries(PageIndex other) {
        int n = pgnos.length;
        if (other.pgnos.length != n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (pgnos[i] != other.pgnos[i] || offsets[i] != other.offsets[i] || sizes[i] != other.sizes[i]) {
                return false;
            }
        }
        return true;
    }
}
