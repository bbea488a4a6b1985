package io.litestream4j.core;

import io.litestream4j.core.wal.WalSegment;
import io.litestream4j.ltx.Checksums;
import io.litestream4j.ltx.LtxEncoder;
import io.litestream4j.ltx.PageChecksums;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * The pages of a database image (the database file overlaid with a WAL segment's committed
 * frames, see {@link DatabaseImage}) whose content differs from the per-page checksums we keep
 * for our newest TXID. This is how a change is found that the application committed and
 * checkpointed, and whose WAL was then restarted or truncated, while we were not holding the pin:
 * its frames are gone, but its effect is in the database file.
 *
 * <p>Guarantees: every page whose CRC-64 differs is reported, so applying the pages to the state
 * of our newest TXID gives the image exactly (a changed page whose CRC-64 is unchanged, a chance
 * of 2^-64 per page, would be missed; the post-apply checksum would not notice it either). Pages
 * above the image's size are dropped by its commit size, not listed. Costs one read of the
 * database file and 12 bytes of memory per changed page; the caller holds the pin, which keeps
 * the file and the segment consistent while they are read.
 *
 * @param commit the image's size in pages
 * @param pgnos changed pages, increasing
 * @param sums the new checksum of each changed page, parallel to {@code pgnos}
 */
record ChangedPages(int commit, int[] pgnos, long[] sums) {

    /** Compares every page 1..commit of the image with {@code known}. */
    static ChangedPages find(FileChannel db, FileChannel wal, WalSegment segment, int pageSize, int commit, PageChecksums known)
            throws IOException {
        Collector changed = new Collector();
        DatabaseImage.forEachPage(db, wal, segment, pageSize, commit, (pgno, page) -> {
            long sum = Checksums.page(pgno, page);
            if (sum != known.get(pgno)) {
                changed.add(pgno, sum);
            }
        });
        return new ChangedPages(commit, Arrays.copyOf(changed.pgnos, changed.n), Arrays.copyOf(changed.sums, changed.n));
    }

    private static final class Collector {
        int[] pgnos = new int[16];
        long[] sums = new long[16];
        int n;

        void add(int pgno, long sum) {
            if (n == pgnos.length) {
                pgnos = Arrays.copyOf(pgnos, n * 2);
                sums = Arrays.copyOf(sums, n * 2);
            }
            pgnos[n] = pgno;
            sums[n++] = sum;
        }
    }

    /** True if applying nothing gives the image: no page changed and the size is the same. */
    boolean none(PageChecksums known) {
        return pgnos.length == 0 && commit == known.pageCount();
    }

    int count() {
        return pgnos.length;
    }

    /**
     * Writes the changed pages, read again from the image, in page order; fails if one no longer
     * has the content that was compared (the image changed under the caller's pin).
     */
    void writeTo(LtxEncoder enc, FileChannel db, FileChannel wal, WalSegment segment, int pageSize) throws IOException {
        byte[] page = new byte[pageSize];
        for (int i = 0; i < pgnos.length; i++) {
            DatabaseImage.readPage(db, wal, segment, pageSize, pgnos[i], page);
            long sum = Checksums.page(pgnos[i], page);
            if (sum != sums[i]) {
                throw new IOException("catch-up: page %d changed while it was read: checksum %s, then %s"
                        .formatted(pgnos[i], Checksums.format(sums[i]), Checksums.format(sum)));
            }
            enc.writePage(pgnos[i], page);
        }
    }

    /** Brings {@code known} to the image: the new size, then each changed page's checksum. */
    void applyTo(PageChecksums known) {
        known.resize(commit);
        for (int i = 0; i < pgnos.length; i++) {
            known.set(pgnos[i], sums[i]);
        }
    }
}
