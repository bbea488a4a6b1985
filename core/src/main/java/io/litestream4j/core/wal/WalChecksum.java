package io.litestream4j.core.wal;

/**
 * SQLite's WAL checksum: two 32-bit sums over the data taken as pairs of 32-bit words, in the byte
 * order the WAL magic names; {@code s0 += x0 + s1; s1 += x1 + s0} for each pair. The pair is
 * packed into one long (s0 high, s1 low) so it can be carried along without allocation.
 */
public final class WalChecksum {
    private WalChecksum() {}

    public static long pack(int s0, int s1) {
        return ((long) s0 << 32) | (s1 & 0xffffffffL);
    }

    public static int first(long packed) {
        return (int) (packed >>> 32);
    }

    public static int second(long packed) {
        return (int) packed;
    }

    /** Continues {@code packed} over {@code len} bytes (a multiple of 8) of {@code b} from {@code off}. */
    public static long update(boolean bigEndian, long packed, byte[] b, int off, int len) {
        if ((len & 7) != 0) {
            throw new IllegalArgumentException("wal checksum over " + len + " bytes: want a multiple of 8");
        }
        int s0 = first(packed);
        int s1 = second(packed);
        int end = off + len;
        if (bigEndian) {
            for (int i = off; i < end; i += 8) {
                s0 += intBE(b, i) + s1;
                s1 += intBE(b, i + 4) + s0;
            }
        } else {
            for (int i = off; i < end; i += 8) {
                s0 += Integer.reverseBytes(intBE(b, i)) + s1;
                s1 += Integer.reverseBytes(intBE(b, i + 4)) + s0;
            }
        }
        return pack(s0, s1);
    }

    static int intBE(byte[] b, int i) {
        return ((b[i] & 0xff) << 24) | ((b[i + 1] & 0xff) << 16) | ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
    }
}
