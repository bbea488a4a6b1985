package io.litestream4j.ltx;

import java.util.HexFormat;

/**
 * A transaction ID: the number of a sync, not of a SQLite transaction. Unsigned 64-bit, written as
 * 16 lower-case hex digits everywhere (file names, CLI flags, JSON).
 */
public record Txid(long value) implements Comparable<Txid> {
    public static final Txid ZERO = new Txid(0);

    public static Txid of(long value) {
        return new Txid(value);
    }

    /** Parses exactly 16 hex digits, as Litestream does for {@code -txid}. */
    public static Txid parse(String s) {
        if (s == null || s.length() != 16 || !isHex(s)) {
            throw new IllegalArgumentException(
                    "invalid transaction id " + Checksums.quote(s) + ": want 16 hex digits, e.g. 000000000000002a");
        }
        return new Txid(HexFormat.fromHexDigitsToLong(s));
    }

    /** {@code %016x} of an unsigned 64-bit TXID. */
    public static String format(long txid) {
        return HexFormat.of().toHexDigits(txid);
    }

    /** The larger of two TXIDs compared as unsigned 64-bit numbers (for {@code LongStream.reduce(0, Txid::max)}). */
    public static long max(long a, long b) {
        return Long.compareUnsigned(a, b) >= 0 ? a : b;
    }

    public Txid next() {
        return new Txid(value + 1);
    }

    @Override
    public int compareTo(Txid o) {
        return Long.compareUnsigned(value, o.value);
    }

    @Override
    public String toString() {
        return format(value);
    }

    private static boolean isHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }
}
