package io.litestream4j.core.wal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * SQLite's WAL checksum: two 32-bit sums over the data taken as pairs of 32-bit words, in the byte
 * order the WAL magic names; {@code s0 += x0 + s1; s1 += x1 + s0} for each pair. The pair is
 * packed into one long (s0 high, s1 low) so it can be carried along without allocation.
 */
public final class WalChecksum {
    /** One load (and byte swap) per word, where assembling four bytes took a dozen instructions. */
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

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
                s0 += (int) INT_LE.get(b, i) + s1;
                s1 += (int) INT_LE.get(b, i + 4) + s0;
            }
        }
        return pack(s0, s1);
    }

    static int intBE(byte[] b, int i) {
        return (int) INT_BE.get(b, i);
    }
}
