package io.litestream4j.ltx;

/** Unsigned LEB128 varints as Go's encoding/binary writes them: 7 bits a byte, low groups first. */
final class Uvarint {
    /** The longest encoding of a 64-bit value. */
    static final int MAX_LEN = 10;

    private Uvarint() {}

    /** Writes {@code v} at {@code b[off]}, returning the offset after it. */
    static int put(byte[] b, int off, long v) {
        while (Long.compareUnsigned(v, 0x80) >= 0) {
            b[off++] = (byte) (v | 0x80);
            v >>>= 7;
        }
        b[off++] = (byte) v;
        return off;
    }

    static int length(long v) {
        int n = 1;
        while (Long.compareUnsigned(v, 0x80) >= 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }
}
