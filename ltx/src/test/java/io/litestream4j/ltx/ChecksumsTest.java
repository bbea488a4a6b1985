package io.litestream4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ChecksumsTest {
    static byte[] filled(char c, int size) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) c);
        return b;
    }

    @Test
    void pageChecksumsMatchTheReference() {
        assertThat(Checksums.page(1, filled('2', 512))).isEqualTo(0xc6e57aa102377eeeL);
        assertThat(Checksums.page(2, filled('3', 512))).isEqualTo(0xcd62389fecd99000L);
    }

    @Test
    void databaseChecksumIsTheFlaggedXorOfPageChecksums() {
        DatabaseChecksum db = new DatabaseChecksum()
                .add(Checksums.page(1, filled('2', 512)))
                .add(Checksums.page(2, filled('3', 512)));
        assertThat(db.value()).isEqualTo(0x8b87423eeeeeeeeeL);
        assertThat(new DatabaseChecksum().value()).isEqualTo(Checksums.EMPTY_DATABASE);
    }

    @Test
    void pageChecksumsGivesEachPageAndZerosBeyondTheEnd() {
        PageChecksums sums = new PageChecksums(512);
        sums.set(2, Checksums.page(2, filled('3', 512)));
        assertThat(sums.get(2)).isEqualTo(Checksums.page(2, filled('3', 512)));
        assertThat(sums.get(1)).as("a page never set is zeros").isEqualTo(Checksums.page(1, new byte[512]));
        assertThat(sums.get(7)).as("beyond the end: what a zero page there would be").isEqualTo(Checksums.page(7, new byte[512]));
        int lock = PageSizes.lockPgno(512);
        assertThat(sums.get(lock)).as("the lock page never counts").isZero();
        assertThatThrownBy(() -> sums.get(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 0");
    }

    @Test
    void replacingAPageUpdatesIncrementally() {
        long one = Checksums.page(1, filled('2', 512));
        long twoOld = Checksums.page(2, filled('3', 512));
        long twoNew = Checksums.page(2, filled('4', 512));
        DatabaseChecksum db = new DatabaseChecksum(0x8b87423eeeeeeeeeL).replace(twoOld, twoNew);
        assertThat(db.value()).isEqualTo(new DatabaseChecksum().add(one).add(twoNew).value());
        // incr.ltx's documented post-apply checksum: page 2 became "4" x 512.
        assertThat(db.value()).isEqualTo(0xdb2ddab666666666L);
    }

    @Test
    void formatsAndParsesSixteenHexDigits() {
        assertThat(Checksums.format(0x8000000000000000L)).isEqualTo("8000000000000000");
        assertThat(Checksums.parse("db2ddab666666666")).isEqualTo(0xdb2ddab666666666L);
        assertThatThrownBy(() -> Checksums.parse("xyz"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"xyz\"")
                .hasMessageContaining("16 hex digits");
    }
}
