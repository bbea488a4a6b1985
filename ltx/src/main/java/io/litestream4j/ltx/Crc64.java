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
     * are powers of two, and a lookup happens for every page.
     */
    private static final AtomicReferenceArray<long[]> POWER_OF_TWO_OPERATORS = new AtomicReferenceArray<>(63);

    /** X2N[k] = x^(2^k) mod P, in the reflected representation: the squares that make x^n for any n. */
    private static final long[] X2N = powersOfTwoOfX();

    private static long[] shiftOperatorFor(int length) {
        if (Integer.bitCount(length) == 1) {
            return powerOfTwoOperator(Integer.numberOfTrailingZeros(length));
        }
        return SHIFT_OPERATORS.computeIfAbsent(length, Crc64::shiftOperator);
    }

    private static long[] powerOfTwoOperator(int k) {
        long[] op = POWER_OF_TWO_OPERATORS.get(k);
        if (op == null) {
            op = shiftOperator(1L << k);
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
     * several cores): x^(8 lenB) mod P from the squares in {@link #X2N}, one multiplication per set
     * bit of {@code lenB}, then one more by {@code crcA}. No table is built: a few thousand shifts,
     * cheap even before the JIT has compiled anything, which is when a restore first asks.
     */
    public static long combine(long crcA, long crcB, long lenB) {
        if (lenB < 0) {
            throw new IllegalArgumentException("negative length: " + lenB);
        }
        return multiply(xPow8n(lenB), crcA) ^ crcB;
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
     * The operator that multiplies a register by x^(8*len) mod P, as eight look-up tables of 256.
     * The image of bit i (the coefficient of x^(63-i)) is x^(63-i) * x^(8*len): bit 63's image is
     * x^(8*len) itself and each lower bit's is the one above it times x. Built in about 2,000
     * steps, not by feeding {@code len} zero bytes through the CRC for each of the 64 bits (which
     * took tens of milliseconds in a cold JVM for the lengths the restore joins).
     */
    private static long[] shiftOperator(long len) {
        if (len < 0) {
            throw new IllegalArgumentException("negative length: " + len);
        }
        long[] basis = new long[64];
        basis[63] = xPow8n(len);
        for (int bit = 62; bit >= 0; bit--) {
            basis[bit] = timesX(basis[bit + 1]);
        }
        return tabulate(basis);
    }

    /** {@code a} times x mod P: a right shift, and the coefficient of x^63 that falls off comes back as x^64 = P - x^64. */
    private static long timesX(long a) {
        return (a & 1) != 0 ? (a >>> 1) ^ POLY : a >>> 1;
    }

    /** {@code a} times {@code b} mod P (both reflected), shift and add: at most 64 steps. */
    static long multiply(long a, long b) {
        long product = 0;
        for (long m = 1L << 63; m != 0 && a != 0; m >>>= 1) {
            if ((a & m) != 0) {
                product ^= b;
                a ^= m;
            }
            b = timesX(b);
        }
        return product;
    }

    /** x^(8n) mod P: the register's factor after n zero bytes. */
    private static long xPow8n(long n) {
        long p = 1L << 63; // x^0
        for (int k = 3; n != 0; k++, n >>>= 1) {
            if ((n & 1) != 0) {
                p = multiply(X2N[k], p);
            }
        }
        return p;
    }

    private static long[] powersOfTwoOfX() {
        long[] x2n = new long[64];
        long p = 1L << 62; // x^1
        for (int k = 0; k < 64; k++) {
            x2n[k] = p;
            p = multiply(p, p);
        }
        return x2n;
    }

    /**
     * The operator whose image of bit i is {@code basis[i]}, as eight look-up tables of 256: entry
     * v of table k is the XOR of the images of v's set bits, each entry one XOR from the entry
     * with v's lowest bit cleared.
     */
    private static long[] tabulate(long[] basis) {
        long[] op = new long[8 * 256];
        for (int k = 0; k < 8; k++) {
            int table = k << 8;
            for (int v = 1; v < 256; v++) {
                op[table | v] = op[table | (v & (v - 1))] ^ basis[k * 8 + Integer.numberOfTrailingZeros(v)];
            }
        }
        return op;
    }
}
