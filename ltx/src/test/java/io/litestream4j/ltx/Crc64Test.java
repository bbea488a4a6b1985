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

    /** The table-free eight-byte step equals eight bitwise steps, for any register and data. */
    @Property(tries = 1000)
    void stepEqualsEightBitwiseSteps(@ForAll long register) {
        long bitwise = register;
        for (int k = 0; k < 64; k++) {
            bitwise = (bitwise & 1) != 0 ? (bitwise >>> 1) ^ 0xD800000000000000L : bitwise >>> 1;
        }
        assertThat(Crc64.step(register)).isEqualTo(bitwise);
    }

    /** Runs of several eight-lane blocks (up to 8 KiB each) and a tail, at any offset. */
    @Property(tries = 50)
    void longRunsMatchTheBitwiseReference(@ForAll @IntRange(min = 0, max = 70_000) int len, @ForAll @IntRange(min = 0, max = 63) int off,
            @ForAll long seed) {
        byte[] data = new byte[off + len];
        new Random(seed).nextBytes(data);
        assertThat(Crc64.of(data, off, len)).isEqualTo(reference(data, off, len));
    }

    /** Combining over long runs (x^(8n) from squares of x) equals combining in small steps. */
    @Property(tries = 30)
    void combineOverLongRunsEqualsStepwiseCombines(@ForAll long crcA, @ForAll long crcB, @ForAll @IntRange(min = 0, max = 40) int shift,
            @ForAll @IntRange(min = 0, max = 1 << 16) int extra) {
        long lenB = (1L << shift) + extra;
        if (shift <= 22) {
            // Shifting by lenB zero bytes in pieces of at most 2^16 through the int form.
            long stepwise = crcA;
            for (long left = lenB; left > 0; left -= Math.min(left, 1 << 16)) {
                stepwise = Crc64.combine(stepwise, 0, (int) Math.min(left, 1 << 16));
            }
            assertThat(Crc64.combine(crcA, crcB, lenB)).isEqualTo(stepwise ^ crcB);
        }
        assertThat(Crc64.combine(Crc64.combine(crcA, 0, lenB), crcB, (long) extra)).isEqualTo(Crc64.combine(crcA, crcB, lenB + extra));
    }

    /** The int form (a cached table per length) and the long form (multiplications) agree for any length. */
    @Property(tries = 200)
    void tableAndMultiplicationCombinesAgree(@ForAll long crcA, @ForAll long crcB, @ForAll @IntRange(min = 0, max = 1 << 20) int lenB) {
        assertThat(Crc64.combine(crcA, crcB, lenB)).isEqualTo(Crc64.combine(crcA, crcB, (long) lenB));
    }

    @Test
    void combineOverAGibibyteOfZerosMatchesHashingThem() {
        byte[] mib = new byte[1 << 20];
        long crc = Crc64.of("x".getBytes(StandardCharsets.US_ASCII));
        long hashed = crc;
        long zeros = 0;
        for (int i = 0; i < 1024; i++) {
            hashed = Crc64.update(hashed, mib, 0, mib.length);
            zeros = Crc64.update(zeros, mib, 0, mib.length);
        }
        assertThat(Crc64.combine(crc, zeros, 1L << 30)).isEqualTo(hashed);
        assertThat(Crc64.combine(crc, Crc64.of(mib), 1L << 20)).isEqualTo(Crc64.update(crc, mib, 0, mib.length));
    }
}
