package io.litestream4j.core;

import io.litestream4j.core.wal.WalHeader;
import io.litestream4j.core.wal.WalSegment;
import io.litestream4j.ltx.Checksums;
import io.litestream4j.ltx.LtxEncoder;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.PageChecksums;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.time.Clock;

/**
 * Writes the committed frames of a WAL segment as the next L0 file, atomically and durably
 * ({@link AtomicFiles}), and brings the per-page checksum table to the state after it.
 */
final class L0Writer {
    private final LocalLtxStore store;
    private final int pageSize;
    private final Clock clock;

    L0Writer(LocalLtxStore store, int pageSize, Clock clock) {
        this.store = store;
        this.pageSize = pageSize;
        this.clock = clock;
    }

    /** Page {@code i} of a segment (in the order of its page numbers). */
    @FunctionalInterface
    interface SegmentPages {
        byte[] page(int i) throws IOException;
    }

    /** A check run after a file's pages were read and before the page table takes them. */
    @FunctionalInterface
    interface ReadCheck {
        void verify() throws IOException;
    }

    /** A file written: its TXIDs, its pages, the database checksum after it, and where the WAL copy now stands. */
    record Written(TxidRange range, int pageCount, long postApply, WalPosition position) {}

    /** Pages of a segment within the database's size after its last commit (page numbers increase). */
    static int committedPages(WalSegment segment) {
        int n = 0;
        while (n < segment.pgnos().length && segment.pgnos()[n] <= segment.commit()) {
            n++;
        }
        return n;
    }

    /**
     * Writes {@code segment} of the WAL with header {@code h} as TXID {@code txid + 1}.
     * {@code pages}, the table as of {@code txid}, takes the file's pages only once
     * {@code pagesWereIntact} passed; after a failure later than that it may hold part of them.
     *
     * @param postApply the database checksum after {@code txid}; 0 if unknown (then the file has none)
     */
    Written write(long txid, long postApply, PageChecksums pages, WalHeader h, WalSegment segment, SegmentPages source,
            ReadCheck pagesWereIntact) throws IOException {
        long next = txid + 1;
        boolean checksummed = postApply != 0;
        LtxHeader header = new LtxHeader(checksummed ? 0 : LtxHeader.FLAG_NO_CHECKSUM, pageSize, segment.commit(), next, next,
                clock.millis(), postApply, segment.start(), segment.end() - segment.start(), h.salt1(), h.salt2(), 0);
        TxidRange range = new TxidRange(next, next);
        int[] pgnos = segment.pgnos();
        int n = committedPages(segment);
        long[] sums = new long[n];
        AtomicFiles.write(store.path(range), out -> {
            LtxEncoder enc = new LtxEncoder(out, header, store.path(range).toString());
            for (int i = 0; i < n; i++) {
                byte[] page = source.page(i);
                sums[i] = Checksums.page(pgnos[i], page);
                enc.writePage(pgnos[i], page);
            }
            pagesWereIntact.verify();
            pages.resize(segment.commit());
            for (int i = 0; i < n; i++) {
                pages.set(pgnos[i], sums[i]);
            }
            return enc.finish(checksummed ? pages.value() : 0);
        });
        return new Written(range, n, pages.value(), WalPosition.after(h, segment));
    }
}
