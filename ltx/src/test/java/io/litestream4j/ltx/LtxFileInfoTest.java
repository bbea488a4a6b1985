package io.litestream4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A listing's order ({@link LtxFileInfo#BY_TXIDS}): first TXID, then last, both unsigned. */
class LtxFileInfoTest {
    private static LtxFileInfo file(long min, long max) {
        return new LtxFileInfo(0, new TxidRange(min, max), 100, Instant.EPOCH);
    }

    @Test
    void aListingSortsByFirstThenLastTxidWithTxidsPastTheSignBitLast() {
        LtxFileInfo high = file(0x8000_0000_0000_0001L, 0x8000_0000_0000_0002L); // negative as a signed long
        List<LtxFileInfo> files = new ArrayList<>(List.of(high, file(5, 9), file(1, 4), file(5, 5), file(1, 1)));
        files.sort(LtxFileInfo.BY_TXIDS);
        assertThat(files).containsExactly(file(1, 1), file(1, 4), file(5, 5), file(5, 9), high);
    }
}
