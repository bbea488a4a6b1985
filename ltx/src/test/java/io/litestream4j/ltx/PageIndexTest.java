package io.litestream4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PageIndexTest {
    private static PageIndex index(int[] pgnos, long[] offsets, int[] sizes) {
        return new PageIndex(pgnos, offsets, sizes);
    }

    private static final PageIndex THREE = index(new int[] {1, 2, 7}, new long[] {100, 4200, 8300}, new int[] {4100, 4100, 90});

    @Test
    void theSameEntriesAreTheSame() {
        assertThat(THREE.sameEntries(index(new int[] {1, 2, 7}, new long[] {100, 4200, 8300}, new int[] {4100, 4100, 90}))).isTrue();
        assertThat(index(new int[0], new long[0], new int[0]).sameEntries(index(new int[0], new long[0], new int[0]))).isTrue();
    }

    @Test
    void aDifferentPageOffsetSizeOrCountIsNot() {
        assertThat(THREE.sameEntries(index(new int[] {1, 3, 7}, new long[] {100, 4200, 8300}, new int[] {4100, 4100, 90}))).isFalse();
        assertThat(THREE.sameEntries(index(new int[] {1, 2, 7}, new long[] {100, 4200, 8301}, new int[] {4100, 4100, 90}))).isFalse();
        assertThat(THREE.sameEntries(index(new int[] {1, 2, 7}, new long[] {100, 4200, 8300}, new int[] {4100, 4101, 90}))).isFalse();
        assertThat(THREE.sameEntries(index(new int[] {1, 2}, new long[] {100, 4200}, new int[] {4100, 4100}))).isFalse();
        assertThat(index(new int[] {1, 2}, new long[] {100, 4200}, new int[] {4100, 4100}).sameEntries(THREE)).isFalse();
    }
}
