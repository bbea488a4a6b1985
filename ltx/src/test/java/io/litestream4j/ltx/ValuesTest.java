package io.litestream4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ValuesTest {
    @Test
    void txidFormatsAsSixteenLowerCaseHexDigits() {
        assertThat(Txid.of(42).toString()).isEqualTo("000000000000002a");
        assertThat(Txid.parse("000000000000002A")).isEqualTo(Txid.of(42));
        assertThat(Txid.format(-1L)).isEqualTo("ffffffffffffffff");
        assertThat(Txid.of(-1L).compareTo(Txid.of(1))).isPositive();
    }

    @Test
    void txidParsingNamesTheBadValue() {
        for (String bad : new String[] {"2a", "00000000000000zz", "0000000000000000a", ""}) {
            assertThatThrownBy(() -> Txid.parse(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining('"' + bad + '"')
                    .hasMessageContaining("16 hex digits");
        }
    }

    @Test
    void fileNamesRoundTrip() {
        TxidRange range = new TxidRange(1, 0x2a);
        assertThat(range.fileName()).isEqualTo("0000000000000001-000000000000002a.ltx");
        assertThat(TxidRange.fromFileName(range.fileName())).contains(range);
        assertThat(TxidRange.fromFileName("0000000000000001-000000000000002A.ltx")).isEmpty();
        assertThat(TxidRange.fromFileName("0000000000000003-0000000000000002.ltx")).isEmpty();
        assertThat(TxidRange.fromFileName("0000000000000001-0000000000000002.ltx.tmp")).isEmpty();
        assertThatThrownBy(() -> new TxidRange(0, 1)).hasMessageContaining("0000000000000000-0000000000000001");
    }

    @Test
    void contiguityFollowsTheReferenceRule() {
        TxidRange a = new TxidRange(1, 5);
        assertThat(a.continuesWith(new TxidRange(6, 6))).isTrue();
        assertThat(a.continuesWith(new TxidRange(3, 9))).isTrue();
        assertThat(a.continuesWith(new TxidRange(7, 9))).isFalse();
        assertThat(a.continuesWith(new TxidRange(2, 5))).isFalse();
    }

    @Test
    void positionsFormatAsTxidSlashChecksum() {
        Pos pos = new Pos(2, 0xdb2ddab666666666L);
        assertThat(pos.toString()).isEqualTo("0000000000000002/db2ddab666666666");
        assertThat(Pos.parse(pos.toString())).isEqualTo(pos);
        assertThatThrownBy(() -> Pos.parse("2/x")).hasMessageContaining("\"2/x\"");
    }

    @Test
    void lockPageIsThePageHoldingTheGigabyteOffset() {
        assertThat(PageSizes.lockPgno(4096)).isEqualTo(262145);
        assertThat(PageSizes.lockPgno(512)).isEqualTo(2097153);
        assertThat(PageSizes.lockPgno(65536)).isEqualTo(16385);
        assertThat(PageSizes.isValid(1024)).isTrue();
        assertThat(PageSizes.isValid(1000)).isFalse();
        assertThat(PageSizes.isValid(131072)).isFalse();
    }
}
