package io.litestream4j.core.restore;

import io.litestream4j.NoBackupException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class RestorePlannerTest {
    private static LtxFileInfo f(int level, long min, long max) {
        return new LtxFileInfo(level, new TxidRange(min, max), 100, Instant.EPOCH);
    }

    private static List<String> names(RestorePlan p) {
        return p.files().stream().map(x -> x.level() + ":" + x.minTxid() + "-" + x.maxTxid()).toList();
    }

    @Test
    void prefersTheNewestSnapshotThenTheBiggestSteps() throws Exception {
        List<LtxFileInfo> files = List.of(
                f(9, 1, 10), f(9, 1, 20),
                f(1, 1, 5), f(1, 6, 25), f(1, 26, 30),
                f(0, 21, 21), f(0, 22, 22), f(0, 23, 23), f(0, 31, 31), f(0, 32, 32));
        RestorePlan latest = RestorePlanner.plan("r", files, OptionalLong.empty());
        assertThat(names(latest)).containsExactly("9:1-20", "1:6-25", "1:26-30", "0:31-31", "0:32-32");
        assertThat(latest.txid()).isEqualTo(32);

        RestorePlan at22 = RestorePlanner.plan("r", files, OptionalLong.of(22));
        assertThat(names(at22)).containsExactly("9:1-20", "0:21-21", "0:22-22");
    }

    @Test
    void aGapIsAnErrorNamingTheMissingRange() {
        List<LtxFileInfo> files = List.of(f(0, 1, 1), f(0, 2, 2), f(0, 5, 5));
        assertThatThrownBy(() -> RestorePlanner.plan("file:///r", files, OptionalLong.empty()))
                .hasMessageContaining("replica file:///r: TXIDs 0000000000000003-0000000000000004 are missing (searched levels 0-9)");
    }

    @Test
    void aTxidInsideTheFirstMergedFileNamesItAndTheOldestRestorableTxid() {
        List<LtxFileInfo> files = List.of(f(0, 1, 3), f(0, 4, 4));
        assertThatThrownBy(() -> RestorePlanner.plan("r", files, OptionalLong.of(2)))
                .hasMessageContaining("TXID 0000000000000002 lies inside level 0 file 0000000000000001-0000000000000003.ltx")
                .hasMessageContaining("the oldest restorable TXID is 0000000000000003");
        // Inside a snapshot only (retention removed the rest): no starting point, as before.
        assertThatThrownBy(() -> RestorePlanner.plan("r", List.of(f(9, 1, 3), f(0, 4, 4)), OptionalLong.of(2)))
                .hasMessageContaining("no snapshot to start from at or before TXID 0000000000000002");
    }

    @Test
    void noSnapshotOrNothingAtAll() {
        assertThatThrownBy(() -> RestorePlanner.plan("r", List.of(f(0, 2, 2)), OptionalLong.empty()))
                .hasMessageContaining("no snapshot to start from");
        assertThatThrownBy(() -> RestorePlanner.plan("r", List.of(), OptionalLong.empty()))
                .isInstanceOf(NoBackupException.class).hasMessageContaining("no backup found");
        assertThatThrownBy(() -> RestorePlanner.plan("r", List.of(f(0, 1, 3)), OptionalLong.of(9)))
                .hasMessageContaining("TXID 0000000000000009 is not available; the newest is 0000000000000003");
    }
}
