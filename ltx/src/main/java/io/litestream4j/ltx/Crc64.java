package io.litestream4j.ltx;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * CRC-64/ISO as Go's {@code hash/crc64} computes it with the ISO table: reflected polynomial
 * 0xD800000000000000, initial value and final xor all ones. Check value: "123456789" gives
 * 0xb90956c775a41001.
 *
 * <p>Values passed in and returned are always finished CRCs (as zlib's {@code crc32()}): start
 * from {@code 0} and feed the result of one call into the next. {@link #combine} joins the CRCs of
 * two adjacent byte runs without reading the bytes again, which lets the LTX code hash each page
 * once and derive both the file checksum and the page checksum from it.
 *
 * <p>Speed: the ISO polynomial x^64 + x^4 + x^3 + x + 1 is sparse, so eight bytes are folded into
 * the register with six shifts and six xors and no table (see {@link #step}); long runs are split
 * into eight interleaved lanes whose CRCs are joined with {@link #combine}, so eight independent
 * chains keep the ALUs busy. Measured with JMH ({@code Crc64Benchmark}) against the slicing-by-8
 * tables in four lanes that it replaced: see docs/benchmarks.md.
 */
public final class Crc64 {
    private static final long POLY = 0xD800000000000000L;
    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int LANES = 8;

    /** TABLE[b]: the CRC register after byte b, for the odd bytes at the end of a run. */
    private static final long[] TABLE = buildTable();

    /** Per run length, the operator that advances a register over that many zero bytes. */
    private static final ConcurrentHashMap<Integer, long[]> SHIFT_OPERATORS = new ConcurrentHashMap<>();

    /**
     * Operators for power-of-two lengths 2^k, looked up without boxing: page sizes and lane lengths
     * are powers of two, and a lookup happens for every page. Above 64 KiB each is the previous one
     * applied twice, so even runs of gigabytes cost a few dozen compositions, not a pass over zeros.
     */
    private static final AtomicReferenceArray<long[]> POWER_OF_TWO_OPERATORS = new AtomicReferenceArray<>(63);
    private static final int MAX_ZERO_FED_POWER = 16;

    private static long[] shiftOperatorFor(int length) {
        if (Integer.bitCount(length) == 1) {
            return powerOfTwoOperator(Integer.numberOfTrailingZeros(length));
        }
        return SHIFT_OPERATORS.computeIfAbsent(length, Crc64::shiftOperator);
    }

    private static long[] powerOfTwoOperator(int k) {
        long[] op = POWER_OF_TWO_OPERATORS.get(k);
        if (op == null) {
            if (k <= MAX_ZERO_FED_POWER) {
                op = shiftOperator(1 << k);
            } else {
                long[] half = powerOfTwoOperator(k - 1);
                long[] basis = new long[64];
                for (int bit = 0; bit < 64; bit++) {
                    basis[bit] = apply(half, apply(half, 1L << bit));
                }
                op = tabulate(basis);
            }
            POWER_OF_TWO_OPERATORS.set(k, op); // a racing thread computes the same table
        }
        return op;
    }

    private Crc64() {}

    /** The CRC of {@code len} bytes of {@code b} from {@code off}. */
    public static long of(byte[] b, int off, int len) {
        return update(0, b, off, len);
    }

    public static long of(byte[] b) {
        return update(0, b, 0, b.length);
    }

    /** Continues {@code crc} (a finished CRC, 0 for none) over the given bytes. */
    public static long update(long crc, byte[] b, int off, int len) {
        return ~updateRaw(~crc, b, off, len);
    }

    /** Continues {@code crc} over one byte. */
    public static long update(long crc, int oneByte) {
        long r = ~crc;
        r = TABLE[(int) (r ^ oneByte) & 0xff] ^ (r >>> 8);
        return ~r;
    }

    /** Continues {@code crc} over the 4 bytes of {@code v}, big-endian. */
    public static long updateIntBigEndian(long crc, int v) {
        long r = ~crc;
        r = TABLE[(int) (r ^ (v >>> 24)) & 0xff] ^ (r >>> 8);
        r = TABLE[(int) (r ^ (v >>> 16)) & 0xff] ^ (r >>> 8);
        r = TABLE[(int) (r ^ (v >>> 8)) & 0xff] ^ (r >>> 8);
        r = TABLE[(int) (r ^ v) & 0xff] ^ (r >>> 8);
        return ~r;
    }

    /** Continues {@code crc} over the 8 bytes of {@code v}, big-endian. */
    public static long updateLongBigEndian(long crc, long v) {
        return ~step(~crc ^ Long.reverseBytes(v));
    }

    /**
     * The CRC of A followed by B, given {@code crcA} = CRC(A), {@code crcB} = CRC(B) and the length
     * of B. Costs eight table look-ups once the operator for {@code lenB} is cached (one per page
     * size in practice).
     */
    public static long combine(long crcA, long crcB, int lenB) {
        long[] op = shiftOperatorFor(lenB);
        return apply(op, crcA) ^ crcB;
    }

    /**
     * {@link #combine(long, long, int)} for a run B of any length (the parts of a file hashed on
     * several cores): one operator per set bit of {@code lenB}, each eight look-ups.
     */
    public static long combine(long crcA, long crcB, long lenB) {
        if (lenB < 0) {
            throw new IllegalArgumentException("negative length: " + lenB);
        }
        long crc = crcA;
        for (int k = 0; lenB != 0; k++, lenB >>>= 1) {
            if ((lenB & 1) != 0) {
                crc = apply(powerOfTwoOperator(k), crc);
            }
        }
        return crc ^ crcB;
    }

    /**
     * The raw register after eight bytes: {@code a} is the register xor the next eight bytes read
     * little-endian. In the reflected representation bit i is the coefficient of x^(63-i) and a
     * right shift by k multiplies by x^k. The result is a * x^64 mod P, and x^64 = x^4 + x^3 + x +
     * 1 (mod P), so it is a * (1 + x + x^3 + x^4): {@code a ^ a>>>1 ^ a>>>3 ^ a>>>4}, plus what
     * those shifts push past x^63. That overflow, bits i < k of {@code a >>> k}, is x^(k-1-i) *
     * x^64, which reduces the same way once more; moved into place it is {@code a << (64-k)},
     * and its product with (1 + x + x^3 + x^4) has degree below 8 and no overflow of its own.
     * Since the multiplication is linear, both rounds fold into one: {@code f(a ^ g(a))}.
     */
    static long step(long a) {
        long b = a ^ (a << 60) ^ (a << 61) ^ (a << 63);
        return b ^ (b >>> 1) ^ (b >>> 3) ^ (b >>> 4);
    }

    private static long updateRaw(long r, byte[] b, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        int lane = laneLength(len);
        int i = off;
        int end = off + len;
        if (lane != 0) {
            long[] op = shiftOperatorFor(lane);
            while (end - i >= LANES * lane) {
                r = eightLanes(r, b, i, lane, op);
                i += LANES * lane;
            }
        }
        return serial(r, b, i, end - i);
    }

    /** The lane length for a run: a power of two from 64 to 1024 bytes, or 0 for short runs. */
    private static int laneLength(int len) {
        if (len < LANES * 64) {
            return 0;
        }
        return Math.min(1024, Integer.highestOneBit(len / LANES));
    }

    /** Advances raw register {@code r} over {@code 8 * lane} bytes at {@code b[i]}. */
    private static long eightLanes(long r, byte[] b, int i, int lane, long[] op) {
        long r0 = r, r1 = -1, r2 = -1, r3 = -1, r4 = -1, r5 = -1, r6 = -1, r7 = -1;
        for (int j = i, stop = i + lane; j < stop; j += 8) {
            r0 = step((long) LONG_LE.get(b, j) ^ r0);
            r1 = step((long) LONG_LE.get(b, j + lane) ^ r1);
            r2 = step((long) LONG_LE.get(b, j + 2 * lane) ^ r2);
            r3 = step((long) LONG_LE.get(b, j + 3 * lane) ^ r3);
            r4 = step((long) LONG_LE.get(b, j + 4 * lane) ^ r4);
            r5 = step((long) LONG_LE.get(b, j + 5 * lane) ^ r5);
            r6 = step((long) LONG_LE.get(b, j + 6 * lane) ^ r6);
            r7 = step((long) LONG_LE.get(b, j + 7 * lane) ^ r7);
        }
        // Lanes 1-7 started from the all-ones register, so each is a finished CRC once inverted;
        // lane 0 continued r. Joining: finished(A||B) = shift(finished(A), |B|) ^ finished(B).
        long crc = ~r0;
        crc = apply(op, crc) ^ ~r1;
        crc = apply(op, crc) ^ ~r2;
        crc = apply(op, crc) ^ ~r3;
        crc = apply(op, crc) ^ ~r4;
        crc = apply(op, crc) ^ ~r5;
        crc = apply(op, crc) ^ ~r6;
        crc = apply(op, crc) ^ ~r7;
        return ~crc;
    }

    private static long apply(long[] op, long crc) {
        long shifted = 0;
        for (int k = 0; k < 8; k++) {
            shifted ^= op[(k << 8) | (int) ((crc >>> (k << 3)) & 0xff)];
        }
        return shifted;
    }

    /** Advances raw register {@code r} over {@code len} bytes at {@code b[i]}, one chain. */
    private static long serial(long r, byte[] b, int i, int len) {
        int end = i + len;
        while (end - i >= 8) {
            r = step((long) LONG_LE.get(b, i) ^ r);
            i += 8;
        }
        while (i < end) {
            r = TABLE[(int) (r ^ b[i++]) & 0xff] ^ (r >>> 8);
        }
        return r;
    }

    private static long[] buildTable() {
        long[] t = new long[256];
        for (int n = 0; n < 256; n++) {
            long crc = n;
            for (int k = 0; k < 8; k++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ POLY : crc >>> 1;
            }
            t[n] = crc;
        }
        return t;
    }

    /**
     * Multiplying a register by x^(8*len) is linear over GF(2): find the image of each of the 64
     * basis bits by feeding zero bytes, then tabulate per input byte so that applying it is eight
     * look-ups. Laid out as op[(byteIndex << 8) | byteValue].
     */
    private static long[] shiftOperator(int len) {
        if (len < 0) {
            throw new IllegalArgumentException("negative length: " + len);
        }
        byte[] zeros = new byte[Math.min(len, 1 << 16)];
        long[] basis = new long[64];
        for (int bit = 0; bit < 64; bit++) {
            long r = 1L << bit;
            for (int left = len; left > 0; left -= zeros.length) {
                r = serial(r, zeros, 0, Math.min(left, zeros.length));
            }
            basis[bit] = r;
        }
        return tabulate(basis);
    }

    /** The operator whose image of bit i is {@code basis[i]}, as eight look-up tables of 256. */
    private static long[] tabulate(long[] basis) {
        long[] op = new long[8 * 256];
        for (int k = 0; k < 8; k++) {
            for (int v = 0; v < 256; v++) {
                long img = 0;
                for (int bit = 0; bit < 8; bit++) {
                    if ((v & (1 << bit)) != 0) {
                        img ^= basis[k * 8 + bit];
                    }
                }
                op[(k << 8) | v] = img;
            }
        }
        return op;
    }
}
