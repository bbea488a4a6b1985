package io.litestream4j.ltx;

import java.time.Instant;
import java.util.Comparator;

/**
 * An LTX file as a replica lists it: its level (0 = one file per sync, 1-8 = compactions,
 * 9 = snapshots), TXID range, size in bytes and creation time.
 */
public record LtxFileInfo(int level, TxidRange range, long size, Instant createdAt) {
    public static final int SNAPSHOT_LEVEL = 9;
    public static final int MAX_LEVEL = 9;

    /**
     * A listing's order: by first TXID, then last, both unsigned. A plain lambda rather than
     * {@code Comparator.comparing(...).thenComparing(...)}: those are serializable lambdas, which
     * the restore's start-up cache cannot hold, so each restore spun their classes at run time
     * (docs/benchmarks.md, restore8).
     */
    public static final Comparator<LtxFileInfo> BY_TXIDS = (a, b) -> {
        int byMin = Long.compareUnsigned(a.minTxid(), b.minTxid());
        return byMin != 0 ? byMin : Long.compareUnsigned(a.maxTxid(), b.maxTxid());
    };

    public LtxFileInfo {
        if (level < 0 || level > MAX_LEVEL) {
            throw new IllegalArgumentException("level: want 0 to 9, got " + level);
        }
        if (size < 0) {
            throw new IllegalArgumentException("size: want non-negative, got " + size);
        }
    }

    public long minTxid() {
        return range.min();
    }

    public long maxTxid() {
        return range.max();
    }

    public String fileName() {
        return range.fileName();
    }
}
