package io.litestream4j.ltx;

/** SQLite page-size facts shared by the LTX reader and writer. */
public final class PageSizes {
    public static final int MIN = 512;
    public static final int MAX = 65536;

    /** SQLite's PENDING_BYTE: the page that holds it (the lock page) is never stored. */
    public static final long PENDING_BYTE = 0x40000000L;

    private PageSizes() {}

    /** A power of two from 512 to 65536. */
    public static boolean isValid(long pageSize) {
        return pageSize >= MIN && pageSize <= MAX && Long.bitCount(pageSize) == 1;
    }

    /** The lock page: the page that holds byte 0x40000000 of the database file. */
    public static int lockPgno(int pageSize) {
        return (int) (PENDING_BYTE / pageSize) + 1;
    }
}
