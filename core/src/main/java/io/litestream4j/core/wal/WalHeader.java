package io.litestream4j.core.wal;

import java.nio.ByteBuffer;

/**
 * The 32-byte header of a SQLite write-ahead log. All fields big-endian:
 *
 * <pre>
 * offset size field
 *      0    4 magic: 0x377f0682 (checksums over little-endian words) or 0x377f0683 (big-endian)
 *      4    4 format version, 3007000
 *      8    4 database page size
 *     12    4 checkpoint sequence number
 *     16    4 salt 1 (incremented at each WAL restart)
 *     20    4 salt 2 (random at each WAL restart)
 *     24    4 checksum 1 \ over bytes 0-23
 *     28    4 checksum 2 /
 * </pre>
 *
 * Frames follow, each a 24-byte header (pgno, commit size or 0, salt 1, salt 2, checksum 1,
 * checksum 2) and one page. Checksums are cumulative from the header through every frame.
 */
public record WalHeader(int magic, int version, int pageSize, int checkpointSeq, int salt1, int salt2, int checksum1, int checksum2) {
    public static final int SIZE = 32;
    public static final int FRAME_HEADER_SIZE = 24;
    public static final int MAGIC_LITTLE_ENDIAN = 0x377f0682;
    public static final int MAGIC_BIG_ENDIAN = 0x377f0683;
    public static final int VERSION = 3007000;

    /** Parses and verifies a header; empty result for bytes that are not a valid WAL header. */
    public static java.util.Optional<WalHeader> parse(byte[] b) {
        if (b.length < SIZE) {
            return java.util.Optional.empty();
        }
        ByteBuffer bb = ByteBuffer.wrap(b, 0, SIZE);
        WalHeader h = new WalHeader(bb.getInt(), bb.getInt(), bb.getInt(), bb.getInt(), bb.getInt(), bb.getInt(), bb.getInt(), bb.getInt());
        if (h.magic != MAGIC_LITTLE_ENDIAN && h.magic != MAGIC_BIG_ENDIAN) {
            return java.util.Optional.empty();
        }
        if (h.version != VERSION || !io.litestream4j.ltx.PageSizes.isValid(Integer.toUnsignedLong(h.pageSize))) {
            return java.util.Optional.empty();
        }
        long sum = WalChecksum.update(h.bigEndianChecksums(), 0, b, 0, 24);
        if (WalChecksum.first(sum) != h.checksum1 || WalChecksum.second(sum) != h.checksum2) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(h);
    }

    public boolean bigEndianChecksums() {
        return magic == MAGIC_BIG_ENDIAN;
    }

    /** The running checksum after the header, where the first frame's checksum continues. */
    public long checksum() {
        return WalChecksum.pack(checksum1, checksum2);
    }

    public int frameSize() {
        return FRAME_HEADER_SIZE + pageSize;
    }

    public boolean sameGeneration(int s1, int s2) {
        return salt1 == s1 && salt2 == s2;
    }
}
