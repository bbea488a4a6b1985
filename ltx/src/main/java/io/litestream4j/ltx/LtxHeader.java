package io.litestream4j.ltx;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The 100-byte header of an LTX file. All integers big-endian:
 *
 * <pre>
 * offset size field
 *      0    4 magic "LTX1"
 *      4    4 flags (only 0x2, NoChecksum, is defined)
 *      8    4 page size
 *     12    4 commit: database size in pages after apply
 *     16    8 min TXID
 *     24    8 max TXID
 *     32    8 timestamp, milliseconds since the epoch
 *     40    8 pre-apply database checksum
 *     48    8 WAL offset
 *     56    8 WAL size
 *     64    4 WAL salt 1
 *     68    4 WAL salt 2
 *     72    8 node ID
 *     80   20 reserved, zero
 * </pre>
 *
 * TXIDs, checksums and the node ID are unsigned 64-bit values held in {@code long}s.
 */
public record LtxHeader(
        int flags,
        int pageSize,
        int commit,
        long minTxid,
        long maxTxid,
        long timestamp,
        long preApplyChecksum,
        long walOffset,
        long walSize,
        int walSalt1,
        int walSalt2,
        long nodeId) {

    public static final int SIZE = 100;
    public static final int FLAG_NO_CHECKSUM = 0x2;
    private static final byte[] MAGIC = "LTX1".getBytes(StandardCharsets.US_ASCII);
    private static final int RESERVED_OFFSET = 80;

    /** A header for a file with database checksums and no WAL fields. */
    public static LtxHeader of(int pageSize, int commit, long minTxid, long maxTxid, long timestamp, long preApply) {
        return new LtxHeader(0, pageSize, commit, minTxid, maxTxid, timestamp, preApply, 0, 0, 0, 0, 0);
    }

    /** A file whose min TXID is 1 holds the whole database. */
    public boolean isSnapshot() {
        return minTxid == 1;
    }

    public boolean noChecksum() {
        return (flags & FLAG_NO_CHECKSUM) != 0;
    }

    public int lockPgno() {
        return PageSizes.lockPgno(pageSize);
    }

    public LtxHeader withFlags(int newFlags) {
        return new LtxHeader(newFlags, pageSize, commit, minTxid, maxTxid, timestamp, preApplyChecksum,
                walOffset, walSize, walSalt1, walSalt2, nodeId);
    }

    public LtxHeader withWal(long offset, long size, int salt1, int salt2) {
        return new LtxHeader(flags, pageSize, commit, minTxid, maxTxid, timestamp, preApplyChecksum,
                offset, size, salt1, salt2, nodeId);
    }

    public LtxHeader withNodeId(long id) {
        return new LtxHeader(flags, pageSize, commit, minTxid, maxTxid, timestamp, preApplyChecksum,
                walOffset, walSize, walSalt1, walSalt2, id);
    }

    /** The rule violations of this header, empty when it is valid. */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        if ((flags & ~FLAG_NO_CHECKSUM) != 0) {
            p.add("flags: want only 0x00000002 (no checksum) or 0, got 0x%08x".formatted(flags));
        }
        if (!PageSizes.isValid(Integer.toUnsignedLong(pageSize))) {
            p.add("page size: want a power of two from 512 to 65536, got " + Integer.toUnsignedLong(pageSize));
        }
        if (commit < 0) {
            // SQLite allows up to 2^32-2 pages; we hold page numbers in ints (2^31-1 pages is 1 TiB at 512 bytes a page).
            p.add("commit: want at most %d pages, got %d".formatted(Integer.MAX_VALUE, Integer.toUnsignedLong(commit)));
        }
        if (minTxid == 0 || maxTxid == 0) {
            p.add("txid range: want non-zero min and max, got %s-%s".formatted(Txid.format(minTxid), Txid.format(maxTxid)));
        } else if (Long.compareUnsigned(minTxid, maxTxid) > 0) {
            p.add("txid range: want min <= max, got %s-%s".formatted(Txid.format(minTxid), Txid.format(maxTxid)));
        }
        if (walOffset < 0 || walSize < 0) {
            p.add("wal offset and size: want non-negative, got %d and %d".formatted(walOffset, walSize));
        }
        if ((walSalt1 != 0 || walSalt2 != 0 || walSize != 0) && walOffset == 0) {
            p.add("wal offset: want non-zero when wal salts or size are set, got 0");
        }
        if (isSnapshot() || noChecksum()) {
            if (preApplyChecksum != 0) {
                p.add("pre-apply checksum: want 0 on a %s, got %s".formatted(
                        isSnapshot() ? "snapshot" : "file without checksums", Checksums.format(preApplyChecksum)));
            }
        } else if ((preApplyChecksum & Checksums.FLAG) == 0) {
            p.add("pre-apply checksum: want bit 63 set, got " + Checksums.format(preApplyChecksum));
        }
        return p;
    }

    /** Throws naming the file and every rule this header breaks. */
    public LtxHeader validate(String file) throws LtxFormatException {
        List<String> p = problems();
        if (!p.isEmpty()) {
            throw new LtxFormatException(file, "invalid header: " + String.join("; ", p));
        }
        return this;
    }

    public void writeTo(byte[] b, int off) {
        ByteBuffer bb = ByteBuffer.wrap(b, off, SIZE);
        bb.put(MAGIC).putInt(flags).putInt(pageSize).putInt(commit);
        bb.putLong(minTxid).putLong(maxTxid).putLong(timestamp).putLong(preApplyChecksum);
        bb.putLong(walOffset).putLong(walSize).putInt(walSalt1).putInt(walSalt2).putLong(nodeId);
        bb.put(new byte[SIZE - RESERVED_OFFSET]);
    }

    public byte[] toBytes() {
        byte[] b = new byte[SIZE];
        writeTo(b, 0);
        return b;
    }

    /** Parses the fixed fields; does not apply {@link #validate}. Magic and reserved bytes are checked. */
    public static LtxHeader parse(String file, byte[] b, int off) throws LtxFormatException {
        ByteBuffer bb = ByteBuffer.wrap(b, off, SIZE);
        byte[] magic = new byte[4];
        bb.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            if (java.util.Arrays.equals(magic, "age-".getBytes(java.nio.charset.StandardCharsets.US_ASCII))) {
                // Litestream 0.3's age block (or ours) wrote it: say so rather than "bad magic".
                throw new LtxFormatException(file, "an age-encrypted file, but the replica has no age identities configured "
                        + "(add age: {identities: [...]} to the replica's config)");
            }
            throw new LtxFormatException(file, "magic: want \"LTX1\", got %s".formatted(java.util.HexFormat.of().formatHex(magic)));
        }
        LtxHeader h = new LtxHeader(bb.getInt(), bb.getInt(), bb.getInt(), bb.getLong(), bb.getLong(), bb.getLong(),
                bb.getLong(), bb.getLong(), bb.getLong(), bb.getInt(), bb.getInt(), bb.getLong());
        for (int i = off + RESERVED_OFFSET; i < off + SIZE; i++) {
            if (b[i] != 0) {
                throw new LtxFormatException(file, "reserved header byte %d: want 0, got 0x%02x".formatted(i - off, b[i] & 0xff));
            }
        }
        return h;
    }
}
