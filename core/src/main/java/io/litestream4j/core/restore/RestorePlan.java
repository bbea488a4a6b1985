package io.litestream4j.core.restore;

import io.litestream4j.ltx.LtxFileInfo;
import java.util.List;

/**
 * The files a restore applies, in order: a snapshot (min TXID 1) and then files that each extend
 * the TXID chain without a gap, the fewest that reach the target.
 */
public record RestorePlan(List<LtxFileInfo> files, long txid) {
    public RestorePlan {
        files = List.copyOf(files);
    }

    public long totalBytes() {
        return files.stream().mapToLong(LtxFileInfo::size).sum();
    }
}
