package io.litestream4j.ltx;

import java.util.HexFormat;

/**
 * LTX checksums. Every checksum carries {@link #FLAG} (bit 63) so that a real checksum is never
 * zero; zero means "not tracked" (files written with {@link LtxHeader#FLAG_NO_CHECKSUM}).
 *
 * <ul>
 *   <li>page checksum: {@code FLAG | CRC-64/ISO(u32 big-endian pgno || page data)};
 *   <li>database checksum: {@code FLAG | XOR of every page checksum}, the lock page excluded; a
 *       database of zero pages has checksum {@link #EMPTY_DATABASE}.
 * </ul>
 */
public final class Checksums {
    public static final long FLAG = 1L << 63;

    /** The database checksum of a database with no pages. */
    public static final long EMPTY_DATABASE = FLAG;

    private Checksums() {}

    /** The page checksum of {@code pgno} holding {@code pageSize} bytes of {@code data} from {@code off}. */
    public static long page(int pgno, byte[] data, int off, int pageSize) {
        return ofPageCrc(pgno, Crc64.of(data, off, pageSize), pageSize);
    }

    public static long page(int pgno, byte[] data) {
        return page(pgno, data, 0, data.length);
    }

    /** The page checksum from the plain CRC of the page data, without reading the data again. */
    public static long ofPageCrc(int pgno, long dataCrc, int pageSize) {
        return FLAG | Crc64.combine(Crc64.updateIntBigEndian(0, pgno), dataCrc, pageSize);
    }

    /** {@code %016x}, as Litestream prints checksums. */
    public static String format(long checksum) {
        return HexFormat.of().toHexDigits(checksum);
    }

    /** Parses 16 hex digits. */
    public static long parse(String s) {
        if (s == null || s.length() != 16) {
            throw new IllegalArgumentException("invalid checksum " + quote(s) + ": want 16 hex digits");
        }
        try {
            return HexFormat.fromHexDigitsToLong(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid checksum " + quote(s) + ": want 16 hex digits");
        }
    }

    static String quote(String s) {
        return s == null ? "null" : '"' + s + '"';
    }
}
