package io.litestream4j.ltx;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * Merges a contiguous run of LTX files into one file that, applied to the database state before
 * the first, gives the state after the last: for each page the version from the latest file wins,
 * and pages above the final commit are dropped.
 *
 * <p>One refinement over Litestream's merge: a page that a later file's commit truncated away and
 * that no later file wrote again is zeros in the result (the database shrank, then grew), not the
 * stale version from before the shrink. Applying the files one by one gives zeros there too.
 *
 * <p>Output header: page size, min TXID and pre-apply checksum from the first input; max TXID,
 * commit, timestamp and post-apply checksum from the last; WAL fields and node ID zero; without
 * checksums if any input has none. Every input is fully verified as it is read, and a failure
 * aborts the merge; the caller discards the partial output.
 *
 * <p>Streaming: memory is one page buffer per input plus the output's page index, independent of
 * the amount of data. The caller owns and closes the decoders and the output stream.
 */
public final class LtxCompactor {
    private LtxCompactor() {}

    /**
     * Merges {@code inputs} (headers already read, in TXID order) into {@code out}.
     *
     * @param name the output's name, for errors
     */
    public static LtxTrailer compact(List<LtxDecoder> inputs, OutputStream out, String name) throws IOException {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("compact " + name + ": want at least one input file");
        }
        LtxHeader first = inputs.getFirst().header();
        LtxHeader last = inputs.getLast().header();
        boolean noChecksum = false;
        for (int i = 0; i < inputs.size(); i++) {
            LtxHeader h = inputs.get(i).header();
            noChecksum |= h.noChecksum();
            if (h.pageSize() != first.pageSize()) {
                throw new LtxFormatException(inputs.get(i).name(), "page size: want %d like %s, got %d"
                        .formatted(first.pageSize(), inputs.getFirst().name(), h.pageSize()));
            }
            if (i > 0) {
                LtxHeader prev = inputs.get(i - 1).header();
                if (!new TxidRange(prev.minTxid(), prev.maxTxid()).continuesWith(new TxidRange(h.minTxid(), h.maxTxid()))) {
                    throw new LtxFormatException(inputs.get(i).name(), "txids %s-%s do not continue %s-%s of %s"
                            .formatted(Txid.format(h.minTxid()), Txid.format(h.maxTxid()), Txid.format(prev.minTxid()),
                                    Txid.format(prev.maxTxid()), inputs.get(i - 1).name()));
                }
            }
        }
        LtxHeader outHeader = new LtxHeader(noChecksum ? LtxHeader.FLAG_NO_CHECKSUM : 0, first.pageSize(), last.commit(),
                first.minTxid(), last.maxTxid(), last.timestamp(), noChecksum ? 0 : first.preApplyChecksum(), 0, 0, 0, 0, 0);
        LtxEncoder encoder = new LtxEncoder(out, outHeader, name);
        new Merge(inputs, encoder).run();
        long postApply = noChecksum ? 0 : inputs.getLast().trailer().postApplyChecksum();
        return encoder.finish(postApply);
    }

    /** The k-way merge over the inputs' page streams. */
    private static final class Merge {
        private final List<LtxDecoder> inputs;
        private final LtxEncoder encoder;
        private final int pageSize;
        private final int lockPgno;
        private final long finalCommit;
        private final byte[][] pages;
        private final int[] heads;
        /** truncatedAbove[i]: the smallest commit of any input after i; pages above it were cut. */
        private final long[] truncatedAbove;
        private final byte[] zeros;
        private long nextZeroFill;

        Merge(List<LtxDecoder> inputs, LtxEncoder encoder) {
            this.inputs = inputs;
            this.encoder = encoder;
            this.pageSize = encoder.header().pageSize();
            this.lockPgno = encoder.header().lockPgno();
            this.finalCommit = Integer.toUnsignedLong(encoder.header().commit());
            int n = inputs.size();
            this.pages = new byte[n][pageSize];
            this.heads = new int[n];
            this.truncatedAbove = new long[n];
            long min = Long.MAX_VALUE;
            for (int i = n - 1; i >= 0; i--) {
                truncatedAbove[i] = min;
                min = Math.min(min, Integer.toUnsignedLong(inputs.get(i).header().commit()));
            }
            // Pages no input holds are zeros above the smallest commit of all (shrunk, then grown).
            this.nextZeroFill = min + 1;
            this.zeros = new byte[pageSize];
        }

        void run() throws IOException {
            for (int i = 0; i < inputs.size(); i++) {
                advance(i);
            }
            while (true) {
                long pgno = Long.MAX_VALUE;
                for (int head : heads) {
                    if (head != 0) {
                        pgno = Math.min(pgno, Integer.toUnsignedLong(head));
                    }
                }
                if (nextZeroFill == lockPgno) {
                    nextZeroFill++;
                }
                if (nextZeroFill <= finalCommit) {
                    pgno = Math.min(pgno, nextZeroFill);
                }
                if (pgno == Long.MAX_VALUE) {
                    return;
                }
                emit((int) pgno);
                if (nextZeroFill == pgno) {
                    nextZeroFill++;
                }
            }
        }

        private void emit(int pgno) throws IOException {
            int latest = -1;
            for (int i = inputs.size() - 1; i >= 0; i--) {
                if (heads[i] == pgno) {
                    latest = i;
                    break;
                }
            }
            if (pgno <= finalCommit) {
                boolean stale = latest < 0 || pgno > truncatedAbove[latest];
                encoder.writePage(pgno, stale ? zeros : pages[latest]);
            }
            for (int i = 0; i < inputs.size(); i++) {
                if (heads[i] == pgno) {
                    advance(i);
                }
            }
        }

        private void advance(int i) throws IOException {
            heads[i] = inputs.get(i).readPage(pages[i]);
        }
    }
}
