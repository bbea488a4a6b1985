package io.litestream4j.ltx;

import java.util.Arrays;

/**
 * The checksum of every page of a database, and their running XOR, so the database checksum stays
 * current as pages change without reading the database again. Eight bytes a page: 2 MiB for a
 * 1 GiB database of 4 KiB pages. Pages never written (beyond the old end after growth) count as
 * zeros, as SQLite reads them.
 */
public final class PageChecksums {
    private final int pageSize;
    private final long zeroPageCrc;
    private long[] sums = new long[0];
    private int pageCount;
    private final DatabaseChecksum total = new DatabaseChecksum();

    public PageChecksums(int pageSize) {
        this.pageSize = pageSize;
        this.zeroPageCrc = Crc64.of(new byte[pageSize]);
    }

    public int pageCount() {
        return pageCount;
    }

    /**
     * Page {@code pgno}'s checksum; beyond the database's end, the checksum of a page of zeros
     * there (what the page becomes if the database grows), and 0 for the lock page.
     */
    public long get(int pgno) {
        if (pgno < 1) {
            throw new IllegalArgumentException("page checksum: want a page number of at least 1, got " + pgno);
        }
        if (pgno <= pageCount) {
            return sums[pgno - 1];
        }
        return pgno == PageSizes.lockPgno(pageSize) ? 0 : Checksums.ofPageCrc(pgno, zeroPageCrc, pageSize);
    }

    /** Sets page {@code pgno}'s checksum, growing the database to it if needed. */
    public void set(int pgno, long pageChecksum) {
        resize(Math.max(pageCount, pgno));
        int i = pgno - 1;
        total.replace(sums[i], pageChecksum);
        sums[i] = pageChecksum;
    }

    /** Sets the database size in pages: pages above it are removed, new pages are zeros. */
    public void resize(int pages) {
        if (pages > sums.length) {
            sums = Arrays.copyOf(sums, Math.max(pages, sums.length * 2));
        }
        while (pageCount > pages) {
            total.remove(sums[pageCount - 1]);
            sums[--pageCount] = 0;
        }
        int lock = PageSizes.lockPgno(pageSize);
        while (pageCount < pages) {
            int pgno = ++pageCount;
            // The lock page never counts: its checksum stays 0, which XOR ignores.
            long sum = pgno == lock ? 0 : Checksums.ofPageCrc(pgno, zeroPageCrc, pageSize);
            sums[pgno - 1] = sum;
            total.add(sum);
        }
    }

    /** The database checksum of all pages. */
    public long value() {
        return total.value();
    }
}
