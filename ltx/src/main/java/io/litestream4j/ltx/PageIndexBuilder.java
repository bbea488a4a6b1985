package io.litestream4j.ltx;

import java.util.Arrays;

/**
 * The page index entries (pgno, frame offset, frame size) of a file, in page order, as compact
 * arrays: about 16 bytes a page, so memory follows the page count, never the data size.
 */
final class PageIndexBuilder {
    private int[] pgnos = new int[64];
    private long[] offsets = new long[64];
    private int[] sizes = new int[64];
    private int count;

    void add(int pgno, long offset, int size) {
        if (count == pgnos.length) {
            int n = count * 2;
            pgnos = Arrays.copyOf(pgnos, n);
            offsets = Arrays.copyOf(offsets, n);
            sizes = Arrays.copyOf(sizes, n);
        }
        pgnos[count] = pgno;
        offsets[count] = offset;
        sizes[count] = size;
        count++;
    }

    int count() {
        return count;
    }

    int pgno(int i) {
        return pgnos[i];
    }

    long offset(int i) {
        return offsets[i];
    }

    int size(int i) {
        return sizes[i];
    }

    PageIndex build() {
        return new PageIndex(Arrays.copyOf(pgnos, count), Arrays.copyOf(offsets, count), Arrays.copyOf(sizes, count));
    }
}
