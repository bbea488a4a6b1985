package io.litestream4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class Crc64Test {
    /** Bit-at-a-time CRC-64/ISO: slow and obviously right, the reference for the fast paths. */
    static long reference(byte[] b, int off, int len) {
        long crc = ~0L;
        for (int i = off; i < off + len; i++) {
            crc ^= b[i] & 0xff;
            for (int k = 0; k < 8; k++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0xD800000000000000L : crc >>> 1;
            }
        }
        return ~crc;
    }

    @Test
    void checkValueMatchesTheReferenceImplementation() {
        assertThat(Crc64.of("123456789".getBytes(StandardCharsets.US_ASCII))).isEqualTo(0xb90956c775a41001L);
        assertThat(Crc64.of(new byte[0])).isZero();
    }

    @Test
    void everyLengthAndOffsetMatchesTheBitwiseReference() {
        Random random = new Random(42);
        byte[] data = new byte[9000];
        random.nextBytes(data);
        for (int len = 0; len <= 4200; len += (len < 600 ? 1 : 37)) {
            int off = random.nextInt(16);
            assertThat(Crc64.of(data, off, len)).as("len %d off %d", len, off).isEqualTo(reference(data, off, len));
        }
        assertThat(Crc64.of(data, 0, 9000)).isEqualTo(reference(data, 0, 9000));
    }

    @Property(tries = 200)
    void updatingInPiecesEqualsHashingAtOnce(@ForAll byte[] data, @ForAll @IntRange(min = 0, max = 100) int cutPercent) {
        int cut = data.length * cutPercent / 100;
        long pieces = Crc64.update(Crc64.of(data, 0, cut), data, cut, data.length - cut);
        assertThat(pieces).isEqualTo(reference(data, 0, data.length));
    }

    @Property(tries = 200)
    void combineJoinsTwoRuns(@ForAll byte[] a, @ForAll byte[] b) {
        byte[] ab = new byte[a.length + b.length];
        System.arraycopy(a, 0, ab, 0, a.length);
        System.arraycopy(b, 0, ab, a.length, b.length);
        assertThat(Crc64.combine(Crc64.of(a), Crc64.of(b), b.length)).isEqualTo(reference(ab, 0, ab.length));
    }

    @Test
    void fixedWidthUpdatesEqualByteUpdates() {
        byte[] bytes = {0x12, 0x34, 0x56, 0x78, (byte) 0x9a, (byte) 0xbc, (byte) 0xde, (byte) 0xf0};
        assertThat(Crc64.updateIntBigEndian(7, 0x12345678)).isEqualTo(Crc64.update(7, bytes, 0, 4));
        assertThat(Crc64.updateLongBigEndian(7, 0x123456789abcdef0L)).isEqualTo(Crc64.update(7, bytes, 0, 8));
        assertThat(Crc64.update(Crc64.update(0, 0x12), 0x34)).isEqualTo(Crc64.of(bytes, 0, 2));
    }
}
