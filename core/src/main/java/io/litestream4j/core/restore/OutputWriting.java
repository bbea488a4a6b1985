package io.litestream4j.core.restore;

/**
 * How a restore writes its output file: long runs of pages with O_DIRECT for databases of at
 * least {@code directMinBytes} (-1: never); otherwise through the page cache, and for databases of
 * at least {@code writebackMinBytes} (-1: never) with an fdatasync on a thread of its own after
 * every {@code writebackEvery} bytes ({@link EarlyWriteback}). Either way the output is durable
 * only after the restore's own fsync of the file, its rename and the fsync of its folder.
 *
 * <p>The defaults come from restores measured both ways on this project's machine (a virtual disk
 * on 2 cores; docs/benchmarks.md, "direct writes, the page cache and early writeback", restore5):
 * the page cache beat O_DIRECT in 11 of 15 alternating rounds at 257 MiB (by a median 0.21 s)
 * and in 13 of 15 at 1 GiB (by 0.78 s), for the same CPU: with O_DIRECT each 1 MiB write holds
 * its decoding thread until the disk has it, through the page cache it does not. Early writeback
 * won at 1 GiB (10 of 15 rounds against the page cache alone, a median 0.22 s, and all 6 pairs
 * of the two calmest rounds: Linux starts writing back only at 10% of memory, so without it the
 * whole 1 GiB waited for the final fsync) but not at 257 MiB (5 of 15), hence on from 512 MiB,
 * between the two sizes measured. Another disk may want other values:
 * {@code -Dlitestream4j.restore.directMinBytes} and {@code -Dlitestream4j.restore.writebackMinBytes}
 * set them (README, restore).
 */
record OutputWriting(long directMinBytes, long writebackMinBytes, long writebackEvery) {
    static final String DIRECT_PROPERTY = "litestream4j.restore.directMinBytes";
    static final String WRITEBACK_PROPERTY = "litestream4j.restore.writebackMinBytes";
    static final OutputWriting DEFAULT = new OutputWriting(-1, 512L << 20, 64L << 20);

    OutputWriting {
        if (directMinBytes < -1 || writebackMinBytes < -1 || writebackEvery <= 0) {
            throw new IllegalArgumentException("output writing: direct from %d bytes, writeback from %d every %d: want -1 or more, and more than 0"
                    .formatted(directMinBytes, writebackMinBytes, writebackEvery));
        }
    }

    boolean direct(long databaseBytes) {
        return directMinBytes >= 0 && databaseBytes >= directMinBytes;
    }

    boolean writeback(long databaseBytes) {
        return writebackMinBytes >= 0 && databaseBytes >= writebackMinBytes;
    }

    /** The defaults with the system properties' values, if set; a value that is not a number of bytes or -1 is refused. */
    static OutputWriting fromSystemProperties() {
        return new OutputWriting(property(DIRECT_PROPERTY, DEFAULT.directMinBytes), property(WRITEBACK_PROPERTY, DEFAULT.writebackMinBytes),
                DEFAULT.writebackEvery);
    }

    private static long property(String name, long otherwise) {
        String value = System.getProperty(name);
        if (value == null) {
            return otherwise;
        }
        try {
            long bytes = Long.parseLong(value.strip());
            if (bytes >= -1) {
                return bytes;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IllegalArgumentException("invalid -D%s=%s: want a number of bytes, or -1 for never".formatted(name, value));
    }
}
